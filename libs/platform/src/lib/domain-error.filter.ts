import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainError, errorCodeOfStatus, httpStatusOf, type ErrorBody } from '@dispatch/contracts';

interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}

/**
 * Every error leaves the API as `{code, errorCode, message}`: `code` is the HTTP status as the upstream
 * Dispatch API sends it, `errorCode` the domain code a client can branch on. Unexpected errors are
 * logged and answered with a 500 that leaks no internals.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    let body: ErrorBody;
    if (err instanceof DomainError) {
      body = { code: httpStatusOf(err.code), errorCode: err.code, message: err.message };
    } else if (err instanceof HttpException) {
      const status = err.getStatus();
      const response = err.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? String((response as { message: unknown }).message)
          : err.message;
      body = { code: status, errorCode: errorCodeOfStatus(status), message };
    } else if (isFrameworkHttpError(err)) {
      body = { code: err.statusCode, errorCode: errorCodeOfStatus(err.statusCode), message: err.message };
    } else {
      this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      body = { code: 500, errorCode: 'INTERNAL', message: 'internal error; the server log has the details' };
    }
    reply.status(body.code).header('content-type', 'application/json').send(body);
  }
}

/** Fastify's own errors (a malformed JSON body, say) carry a statusCode and a readable message. */
function isFrameworkHttpError(err: unknown): err is Error & { statusCode: number } {
  return err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number';
}
