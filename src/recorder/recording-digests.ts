/**
 * SHA-256 digests of closed recordings, computed by the recording thread as it wrote them, kept
 * until the audit chain seals the file (it takes each digest once). It lets a session end without
 * reading its recording again; it must never be the only proof: `audit verify` re-hashes the files.
 */
import path from 'node:path';
import type { RecordingDigest } from './recording-thread.js';

/** Digests nobody took (no audit installed) are dropped oldest first past this many. */
const MAX_UNTAKEN = 1024;
const digests = new Map<string, RecordingDigest>();

export function publishRecordingDigest(file: string, digest: RecordingDigest): void {
  const key = path.resolve(file);
  digests.delete(key);
  digests.set(key, digest);
  if (digests.size > MAX_UNTAKEN) digests.delete(digests.keys().next().value!);
}

/** The digest of a recording closed by this process, once; undefined if there is none. */
export function takeRecordingDigest(file: string): RecordingDigest | undefined {
  const key = path.resolve(file);
  const digest = digests.get(key);
  digests.delete(key);
  return digest;
}
