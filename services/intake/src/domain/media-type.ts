/** Media residents may upload, recognised by their first bytes (the declared type is not trusted). */

export const ALLOWED_MEDIA_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'video/mp4',
  'audio/mpeg',
] as const;
export type MediaType = (typeof ALLOWED_MEDIA_TYPES)[number];

export const MEDIA_EXTENSIONS: Record<MediaType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
};

const startsWith = (buf: Uint8Array, bytes: number[], offset = 0): boolean =>
  buf.length >= offset + bytes.length && bytes.every((b, i) => buf[offset + i] === b);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** The media type the content really is, or undefined when it is none of the allowed ones. */
export function sniffMediaType(buf: Uint8Array): MediaType | undefined {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(buf, ascii('RIFF')) && startsWith(buf, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(buf, ascii('ftyp'), 4)) return 'video/mp4';
  if (startsWith(buf, ascii('ID3'))) return 'audio/mpeg';
  // MPEG audio frame sync (11 bits set) with layer III.
  if (buf.length >= 2 && buf[0] === 0xff && (buf[1] & 0xe0) === 0xe0 && (buf[1] & 0x06) === 0x02)
    return 'audio/mpeg';
  return undefined;
}

/** A declared type agrees with the sniffed one (image/jpg is a common alias of image/jpeg). */
export function declaredTypeMatches(declared: string | undefined, actual: MediaType): boolean {
  if (!declared || declared === 'application/octet-stream') return true;
  const d = declared.toLowerCase().split(';')[0].trim();
  return (
    d === actual ||
    (d === 'image/jpg' && actual === 'image/jpeg') ||
    (d === 'audio/mp3' && actual === 'audio/mpeg')
  );
}
