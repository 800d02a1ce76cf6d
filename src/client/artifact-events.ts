// The artifact step's task events, with Nomad's Type names and texts. They sit apart from
// task-events.ts so the artifact step can be added without touching the shared catalogue.
import type { TaskEvent } from '../structs/alloc.js';
import { newTaskEvent } from './task-events.js';

export const ArtifactEventTypes = {
  downloading: 'Downloading Artifacts',
  failed: 'Failed Artifact Download',
} as const;

export const artifactEvents = {
  downloading: (): TaskEvent => newTaskEvent(ArtifactEventTypes.downloading, { Message: 'Client is downloading artifacts' }),
  /** Ends the task: a task whose files are missing cannot run, so it fails without restarts. */
  failed: (err: string): TaskEvent =>
    newTaskEvent(ArtifactEventTypes.failed, { Message: err, DownloadError: err, FailsTask: true, Details: { download_error: err, fails_task: 'true' } }),
};
