import { Controller, Get, Param } from '@nestjs/common';
import { functionRequest, type FunctionActivityAnswer, type FunctionSourceAnswer } from '@dispatch/contracts';
import { CrudRoutes, Scope, type RequestScope } from '@dispatch/platform';
import { FunctionActivity } from '../activity/function-activity.js';
import { FunctionService } from './function.service.js';

/** `/v1/function`, as in the upstream functions.yaml. */
@Controller('v1/function')
export class FunctionController extends CrudRoutes({
  service: FunctionService,
  body: functionRequest,
  what: 'function',
  watch: true,
}) {
  constructor(
    private readonly functions: FunctionService,
    private readonly activity: FunctionActivity,
  ) {
    super(functions);
  }

  /** The function's code as it was given (`source`: a base64 gzipped tar). Reading it is reading the function. */
  @Get(':name/source')
  async sourceOf(@Scope() scope: RequestScope, @Param('name') name: string): Promise<FunctionSourceAnswer> {
    return { functionName: name, source: await this.functions.source(scope, name) };
  }

  /**
   * The function's last hour, a minute at a time (runs, errors, cold starts, p50 and p99 durations): what
   * the console graphs. Reading it is reading the function.
   */
  @Get(':name/activity')
  async activityOf(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
  ): Promise<FunctionActivityAnswer> {
    await this.functions.get(scope, name);
    return {
      functionName: name,
      stepSeconds: 60,
      points: this.activity.of(`${scope.org}/${scope.project}/${name}`),
    };
  }
}
