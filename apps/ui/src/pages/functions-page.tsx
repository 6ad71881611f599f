import {
  Button,
  FileInput,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Textarea,
  TextInput,
} from '@mantine/core';
import type { DispatchFunction } from '@dispatch/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import {
  actionColumn,
  codeColumn,
  nameColumn,
  statusColumn,
  textColumn,
  timeColumn,
} from '../components/columns.js';
import { ConfirmDelete } from '../components/confirm-delete.js';
import { DialogActions } from '../components/dialog-actions.js';
import { ListPage } from '../components/list-page.js';
import { useLiveList } from '../components/live.js';
import { useWorkspace, type Workspace } from '../session.js';
import { defaultFileName, packSource } from '../source.js';

export const functionsOf = (client: Workspace['client']) => client.functions;

export function FunctionsPage() {
  const { client } = useWorkspace();
  const functions = useLiveList('/functions', functionsOf, true);
  const columns = [
    nameColumn<DispatchFunction>((f) => `/functions/${encodeURIComponent(f.name)}`),
    statusColumn<DispatchFunction>(),
    textColumn<DispatchFunction>('image', 'Image', (f) => f.image),
    codeColumn<DispatchFunction>('handler', 'Handler', (f) => f.handler),
    timeColumn<DispatchFunction>('created', 'Created', (f) => f.createdTime),
    actionColumn<DispatchFunction>((f) => (
      <ConfirmDelete what="function" name={f.name} remove={() => client.functions.delete(f.name)} />
    )),
  ];
  return <ListPage title="Functions" tools={<CreateFunction />} list={functions} columns={columns} />;
}

/** A function from a file of code, or from code typed here, on one of the project's images. */
function CreateFunction() {
  const { client, org, project } = useWorkspace();
  const queries = useQueryClient();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [image, setImage] = useState<string | null>(null);
  const [from, setFrom] = useState('file');
  const [file, setFile] = useState<File | null>(null);
  const [code, setCode] = useState('');
  const [handler, setHandler] = useState('');
  const images = useQuery({
    queryKey: ['/images', org, project],
    queryFn: () => client.images.list(),
    enabled: open,
  });
  const language = images.data?.find((i) => i.name === image)?.language;
  const creation = useMutation({
    mutationFn: async () => {
      if (from === 'file' && !file) throw new Error('choose a file of code');
      const source =
        from === 'file'
          ? await packSource((file as File).name, await (file as File).text())
          : await packSource(defaultFileName(language), code);
      return client.functions.create({
        name,
        image: image ?? '',
        source,
        ...(handler && { handler }),
      });
    },
    onSuccess: async (created) => {
      setOpen(false);
      await queries.invalidateQueries({ queryKey: ['/functions'] });
      navigate(`/functions/${encodeURIComponent(created.name)}`);
    },
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Create function</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Create function" size="lg">
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          <Select
            label="Image"
            description="The language and dependencies the function runs with"
            data={(images.data ?? []).map((i) => ({
              value: i.name,
              label: `${i.name} (${i.language ?? i.status})`,
            }))}
            value={image}
            onChange={setImage}
            required
            searchable
          />
          <SegmentedControl
            aria-label="Where the code comes from"
            value={from}
            onChange={setFrom}
            data={[
              { value: 'file', label: 'Upload a file' },
              { value: 'editor', label: 'Write it here' },
            ]}
          />
          {from === 'file' ? (
            <FileInput
              label="Code"
              placeholder="Choose a file"
              value={file}
              onChange={setFile}
              required
              clearable
            />
          ) : (
            <Textarea
              label="Code"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              autosize
              minRows={8}
              styles={{ input: { fontFamily: 'monospace' } }}
              placeholder={'module.exports = async (context, params) => ({ hello: params.name });'}
            />
          )}
          <TextInput
            label="Handler"
            description="Only when the code is more than one file: ./hello.js, hello.handle, a class name"
            value={handler}
            onChange={(e) => setHandler(e.currentTarget.value)}
          />
          <DialogActions action={creation} onCancel={() => setOpen(false)} />
        </Stack>
      </Modal>
    </>
  );
}
