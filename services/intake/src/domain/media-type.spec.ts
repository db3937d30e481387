import { declaredTypeMatches, sniffMediaType } from './media-type';

describe('media type sniffing', () => {
  it('recognises allowed types by their magic bytes', () => {
    expect(sniffMediaType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
    expect(sniffMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(
      'image/png',
    );
    expect(
      sniffMediaType(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])),
    ).toBe('image/webp');
    expect(sniffMediaType(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42')]))).toBe(
      'video/mp4',
    );
    expect(sniffMediaType(Buffer.from('ID3\x03\x00'))).toBe('audio/mpeg');
  });

  it('refuses anything else, whatever it claims to be', () => {
    expect(sniffMediaType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffMediaType(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(sniffMediaType(Buffer.alloc(0))).toBeUndefined();
    expect(declaredTypeMatches('image/png', 'image/jpeg')).toBe(false);
    expect(declaredTypeMatches('image/jpg', 'image/jpeg')).toBe(true);
    expect(declaredTypeMatches(undefined, 'image/png')).toBe(true);
  });
});
