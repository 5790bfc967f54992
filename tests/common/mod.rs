//! Files the hostile-input tests of the command line and of the app share.

use std::path::Path;

/// A PNG that declares `width`×`height` pixels and holds none: what a
/// decoder sees first of a huge photo.
pub fn png_header_only(path: &Path, width: u32, height: u32) {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    // An IDAT of an empty zlib stream: enough for the decoder to read the
    // header, not pixels.
    let idat = [b"IDAT".as_slice(), &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]].concat();
    for chunk in [ihdr, idat, b"IEND".to_vec()] {
        bytes.extend(((chunk.len() - 4) as u32).to_be_bytes());
        bytes.extend(&chunk);
        bytes.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}
