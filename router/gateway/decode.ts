/**
 * Request body decoding: identity, gzip or zstd (Content-Encoding), with a cap on the
 * decoded size so a small compressed body cannot expand into gigabytes (zip bomb).
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);
const zstdDecompress = promisify(zlib.zstdDecompress);

export type Encoding = 'identity' | 'gzip' | 'zstd';

export class DecodeError extends Error {
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.status = status;
  }
}

export function encodingOf(header: string | undefined): Encoding {
  const v = (header ?? 'identity').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'zstd') return 'zstd';
  throw new DecodeError(415, `unsupported Content-Encoding "${header}": use gzip, zstd or identity`);
}

export async function decodeBody(body: Buffer, encoding: Encoding, maxDecodedBytes: number): Promise<Buffer> {
  if (encoding === 'identity') return body;
  try {
    return encoding === 'gzip'
      ? await gunzip(body, { maxOutputLength: maxDecodedBytes })
      : await zstdDecompress(body, { maxOutputLength: maxDecodedBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err as Error).message.includes('too large')) {
      throw new DecodeError(413, `decoded body exceeds ${maxDecodedBytes} bytes`);
    }
    throw new DecodeError(400, `body is not valid ${encoding}: ${(err as Error).message}`);
  }
}
