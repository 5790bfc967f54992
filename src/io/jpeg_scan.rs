//! Whether a JPEG's image data is whole: every block its frame declares is
//! in the file.
//!
//! JPEG decoders fill a scan whose data stops early with zero bits and say
//! nothing (that is how browsers show half a download), so a file cut short
//! and patched with an end-of-image marker decodes to a photo whose lower
//! part is one flat colour. This module walks the entropy-coded data of a
//! baseline (Huffman, sequential) JPEG symbol by symbol, without inverse
//! transforms, and counts the blocks: a scan that runs into a marker, or
//! into bits that are no Huffman code, before its last block is refused.
//!
//! Progressive, lossless and arithmetic-coded JPEGs are only checked for
//! their end-of-image marker ([`ends_after_last_scan`]): their scans can
//! legally stop at any refinement, so a count says nothing.

/// Why a JPEG's image data is not whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incomplete {
    /// No end-of-image marker after the last scan: the file was cut short.
    NoEnd,
    /// A scan's data stops after `decoded` of its `declared` blocks.
    RunsOut { decoded: u64, declared: u64 },
    /// Bits that are no Huffman code, or a block of more than 64
    /// coefficients, after `decoded` of `declared` blocks.
    BadData { decoded: u64, declared: u64 },
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whole per cent, rounded down, so that a file that stops one block
        // short never reads "100 %".
        let share = |decoded: u64, declared: u64| decoded * 100 / declared.max(1);
        match *self {
            Incomplete::NoEnd => write!(f, "the file ends before its image data does (truncated)"),
            Incomplete::RunsOut { decoded, declared } => write!(
                f,
                "its image data stops {} % of the way through the picture (the file was cut short); \
                 the rest would show as one flat colour",
                share(decoded, declared)
            ),
            Incomplete::BadData { decoded, declared } => write!(
                f,
                "its image data is damaged {} % of the way through the picture (corrupt JPEG data)",
                share(decoded, declared)
            ),
        }
    }
}

/// Checks a JPEG's bytes: an end-of-image marker after the last scan, and,
/// for a baseline JPEG, every declared block in the data. A structure this
/// check cannot follow (a missing table, a segment past the end) is left to
/// the decoder, which reports it in its own words.
pub fn check(bytes: &[u8]) -> Result<(), Incomplete> {
    if !ends_after_last_scan(bytes) {
        return Err(Incomplete::NoEnd);
    }
    match walk(bytes) {
        Some(Err(incomplete)) => Err(incomplete),
        Some(Ok(())) | None => Ok(()),
    }
}

/// Whether a JPEG's last scan is followed by its end-of-image marker.
/// Markers cannot occur inside entropy-coded data (0xFF is stuffed there),
/// and an embedded EXIF thumbnail comes before the main image's scans, so
/// the last start-of-scan (FF DA) belongs to the photo; a file cut short
/// has no end-of-image (FF D9) after it.
pub fn ends_after_last_scan(bytes: &[u8]) -> bool {
    let marker = |m: u8| move |w: &[u8]| w == [0xFF, m];
    let Some(last_scan) = bytes.windows(2).rposition(marker(0xDA)) else { return false };
    bytes[last_scan..].windows(2).any(marker(0xD9))
}

/// A baseline frame: its size and components (id, horizontal and vertical
/// sampling factors).
struct Frame {
    width: u64,
    height: u64,
    components: Vec<(u8, u64, u64)>,
}

impl Frame {
    fn max_sampling(&self) -> (u64, u64) {
        let h = self.components.iter().map(|c| c.1).max().unwrap_or(1);
        let v = self.components.iter().map(|c| c.2).max().unwrap_or(1);
        (h, v)
    }
}

/// `None`: not a baseline JPEG, or a structure the walk cannot follow.
/// `Some(Err)`: a scan with fewer blocks than declared.
fn walk(bytes: &[u8]) -> Option<Result<(), Incomplete>> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2;
    let mut frame: Option<Frame> = None;
    let mut tables: [[Option<Huffman>; 4]; 2] = Default::default();
    let mut restart_interval = 0u64;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = bytes[pos];
        pos += 1;
        match marker {
            0xD9 => return Some(Ok(())),
            0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        let segment = bytes.get(pos + 2..pos.checked_add(length)?)?;
        pos += length;
        match marker {
            0xC0 | 0xC1 => frame = Some(parse_frame(segment)?),
            // Progressive, lossless, arithmetic-coded; DNL (height given
            // after the scan): not counted.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDC => return None,
            0xC4 => parse_tables(segment, &mut tables)?,
            0xDD => restart_interval = u64::from(u16::from_be_bytes([*segment.first()?, *segment.get(1)?])),
            0xDA => {
                let scan = parse_scan(segment, frame.as_ref()?, &tables)?;
                let mut bits = Bits::new(bytes, pos);
                if let Err(incomplete) = scan.decode(&mut bits, restart_interval) {
                    return Some(Err(incomplete));
                }
                pos = bits.next_marker()?;
            }
            _ => {}
        }
    }
}

fn parse_frame(segment: &[u8]) -> Option<Frame> {
    let height = u64::from(u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]));
    let width = u64::from(u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]));
    let count = usize::from(*segment.get(5)?);
    let components = (0..count)
        .map(|i| {
            let c = segment.get(6 + 3 * i..9 + 3 * i)?;
            let (h, v) = (u64::from(c[1] >> 4), u64::from(c[1] & 15));
            ((1..=4).contains(&h) && (1..=4).contains(&v)).then_some((c[0], h, v))
        })
        .collect::<Option<Vec<_>>>()?;
    // Height 0 is given later by a DNL marker: not counted.
    (width > 0 && height > 0 && !components.is_empty()).then_some(Frame { width, height, components })
}

fn parse_tables(mut segment: &[u8], tables: &mut [[Option<Huffman>; 4]; 2]) -> Option<()> {
    while !segment.is_empty() {
        let (class, id) = (usize::from(segment[0] >> 4), usize::from(segment[0] & 15));
        let counts: [u8; 16] = segment.get(1..17)?.try_into().ok()?;
        let total = counts.iter().map(|&c| usize::from(c)).sum::<usize>();
        let symbols = segment.get(17..17 + total)?;
        *tables.get_mut(class)?.get_mut(id)? = Some(Huffman::new(&counts, symbols)?);
        segment = &segment[17 + total..];
    }
    Some(())
}

/// One scan: for each of its components, the blocks it has per MCU (the
/// component's sampling area in an interleaved scan, one otherwise) and
/// its DC and AC tables; and the number of MCUs.
struct Scan<'t> {
    components: Vec<(u64, &'t Huffman, &'t Huffman)>,
    mcus: u64,
}

fn parse_scan<'t>(segment: &[u8], frame: &Frame, tables: &'t [[Option<Huffman>; 4]; 2]) -> Option<Scan<'t>> {
    let count = usize::from(*segment.first()?);
    let (h_max, v_max) = frame.max_sampling();
    let blocks = |pixels: u64, sampling: u64, max: u64| (pixels * sampling).div_ceil(max).div_ceil(8);
    let mut components = Vec::with_capacity(count);
    let mut mcus = 0;
    for i in 0..count {
        let [id, selectors] = segment.get(1 + 2 * i..3 + 2 * i)?.try_into().ok()?;
        let &(_, h, v) = frame.components.iter().find(|c| c.0 == id)?;
        let dc = tables[0].get(usize::from(selectors >> 4))?.as_ref()?;
        let ac = tables[1].get(usize::from(selectors & 15))?.as_ref()?;
        if count == 1 {
            // Non-interleaved: the component's own blocks, one per MCU.
            mcus = blocks(frame.width, h, h_max) * blocks(frame.height, v, v_max);
            components.push((1, dc, ac));
        } else {
            mcus = frame.width.div_ceil(8 * h_max) * frame.height.div_ceil(8 * v_max);
            components.push((h * v, dc, ac));
        }
    }
    (count > 0).then_some(Scan { components, mcus })
}

impl Scan<'_> {
    /// Walks every block of the scan.
    fn decode(&self, bits: &mut Bits, restart_interval: u64) -> Result<(), Incomplete> {
        let per_mcu: u64 = self.components.iter().map(|c| c.0).sum();
        let declared = self.mcus * per_mcu;
        let mut decoded = 0;
        for mcu in 0..self.mcus {
            if restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0 && !bits.restart() {
                return Err(Incomplete::RunsOut { decoded, declared });
            }
            for &(count, dc, ac) in &self.components {
                for _ in 0..count {
                    block(bits, dc, ac).map_err(|step| match step {
                        Step::OutOfData => Incomplete::RunsOut { decoded, declared },
                        Step::BadCode => Incomplete::BadData { decoded, declared },
                    })?;
                    decoded += 1;
                }
            }
        }
        Ok(())
    }
}

enum Step {
    OutOfData,
    BadCode,
}

/// One 8×8 block: a DC difference, then run-length coded AC coefficients up
/// to the 63rd or an end-of-block.
fn block(bits: &mut Bits, dc: &Huffman, ac: &Huffman) -> Result<(), Step> {
    let size = bits.symbol(dc)?;
    bits.skip(u32::from(size))?;
    let mut k = 1;
    while k < 64 {
        let symbol = bits.symbol(ac)?;
        let (run, size) = (symbol >> 4, symbol & 15);
        if size == 0 {
            if run != 15 {
                return Ok(()); // end of block
            }
            k += 16;
        } else {
            k += usize::from(run);
            bits.skip(u32::from(size))?;
            k += 1;
        }
    }
    if k > 64 { Err(Step::BadCode) } else { Ok(()) }
}

/// A canonical Huffman table: a 9-bit lookup for the short codes, and the
/// first code and symbol index of each length for the rest.
struct Huffman {
    /// `(length << 8) | symbol` for each 9-bit prefix whose code is at most
    /// 9 bits long; 0 where it is longer.
    fast: Box<[u16; 1 << FAST_BITS]>,
    /// For each length 1..=16: the first code, the last code (−1: none) and
    /// the index of the first symbol.
    first: [i32; 17],
    last: [i32; 17],
    index: [usize; 17],
    symbols: Vec<u8>,
}

const FAST_BITS: u32 = 9;

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Huffman> {
        let mut table = Huffman {
            fast: Box::new([0; 1 << FAST_BITS]),
            first: [0; 17],
            last: [-1; 17],
            index: [0; 17],
            symbols: symbols.to_vec(),
        };
        let (mut code, mut k) = (0u32, 0usize);
        for length in 1..=16u32 {
            let count = u32::from(counts[length as usize - 1]);
            table.first[length as usize] = code as i32;
            table.index[length as usize] = k;
            if count > 0 {
                table.last[length as usize] = (code + count - 1) as i32;
            }
            // More codes of this length than there is room for: no valid table.
            if code + count > 1 << length {
                return None;
            }
            for _ in 0..count {
                if length <= FAST_BITS {
                    let shift = FAST_BITS - length;
                    for fill in 0..1u32 << shift {
                        table.fast[((code << shift) | fill) as usize] = ((length as u16) << 8) | u16::from(symbols[k]);
                    }
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Some(table)
    }
}

/// Entropy-coded bits, with stuffed bytes (FF 00) read as FF, up to the
/// next marker.
struct Bits<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The low `count` bits of `buffer` are unread, most significant first.
    buffer: u64,
    count: u32,
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn new(bytes: &'a [u8], pos: usize) -> Self {
        Bits { bytes, pos, buffer: 0, count: 0, at_marker: false }
    }

    fn fill(&mut self) {
        while self.count <= 56 && !self.at_marker {
            let byte = match self.bytes.get(self.pos) {
                Some(0xFF) if self.bytes.get(self.pos + 1) == Some(&0) => {
                    self.pos += 2;
                    0xFF
                }
                Some(0xFF) | None => {
                    self.at_marker = true;
                    break;
                }
                Some(&byte) => {
                    self.pos += 1;
                    byte
                }
            };
            self.buffer = (self.buffer << 8) | u64::from(byte);
            self.count += 8;
        }
    }

    fn peek(&self, n: u32) -> u32 {
        ((self.buffer >> (self.count - n)) & ((1 << n) - 1)) as u32
    }

    fn skip(&mut self, n: u32) -> Result<(), Step> {
        self.fill();
        if self.count < n {
            return Err(Step::OutOfData);
        }
        self.count -= n;
        Ok(())
    }

    fn symbol(&mut self, table: &Huffman) -> Result<u8, Step> {
        self.fill();
        if self.count >= FAST_BITS {
            let entry = table.fast[self.peek(FAST_BITS) as usize];
            if entry != 0 {
                self.count -= u32::from(entry >> 8);
                return Ok(entry as u8);
            }
        }
        // A longer code, or the last few bits before a marker.
        for length in 1..=16u32 {
            if self.count < length {
                return Err(Step::OutOfData);
            }
            let code = self.peek(length) as i32;
            let l = length as usize;
            if code <= table.last[l] {
                let offset = usize::try_from(code - table.first[l]).map_err(|_| Step::BadCode)?;
                let symbol = table.symbols.get(table.index[l] + offset).copied().ok_or(Step::BadCode)?;
                self.count -= length;
                return Ok(symbol);
            }
        }
        Err(Step::BadCode)
    }

    /// Drops the padding bits of an interval and reads its restart marker
    /// (RST0–RST7); `false` where another marker, or none, comes instead.
    fn restart(&mut self) -> bool {
        self.buffer = 0;
        self.count = 0;
        match self.find_marker(false) {
            Some((_, 0xD0..=0xD7, after)) => {
                self.pos = after;
                self.at_marker = false;
                true
            }
            _ => false,
        }
    }

    /// The position of the next marker's first 0xFF once the scan is done,
    /// skipping what is left of its data and its restart markers.
    fn next_marker(&self) -> Option<usize> {
        self.find_marker(true).map(|(at, _, _)| at)
    }

    /// From the first unread byte: the next marker's first 0xFF, its code
    /// and the position after it; stuffed bytes (FF 00) are data.
    fn find_marker(&self, skip_restarts: bool) -> Option<(usize, u8, usize)> {
        let mut pos = self.pos;
        loop {
            let at = pos + self.bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
            let code_at = at + self.bytes[at..].iter().take_while(|&&b| b == 0xFF).count();
            match *self.bytes.get(code_at)? {
                0x00 => pos = code_at + 1,
                0xD0..=0xD7 if skip_restarts => pos = code_at + 1,
                code => return Some((at, code, code_at + 1)),
            }
        }
    }
}
