import { UploadSizeError } from './uploads.repository.js';

/**
 * Passes `body` on and fails with UploadSizeError as soon as it exceeds `size` bytes (nothing past
 * the announced size is written anywhere) or when it ends short of it.
 */
export async function* countedBody(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.byteLength;
    if (received > size) throw new UploadSizeError(size, received);
    yield chunk;
  }
  if (received !== size) throw new UploadSizeError(size, received);
}
