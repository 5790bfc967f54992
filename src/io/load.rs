//! Decoding a photo of any common format, bit depth and colour type into
//! sRGB-encoded `f32` RGB, with decoder limits against huge or hostile files.
//!
//! The EXIF orientation is applied, so fields line up with what the user
//! sees. A photo in another RGB space than sRGB is converted into sRGB
//! ([`super::colour`]). The ICC profile and EXIF block are kept as bytes
//! for export.

use std::path::{Path, PathBuf};

use image::{ColorType, DynamicImage, ImageDecoder, ImageReader, Limits, Rgb32FImage};

/// A decoded photo: pixels as sRGB-encoded floats in [0, 1], plus what we need
/// to write an edit of it back faithfully.
#[derive(Clone)]
pub struct Photo {
    /// sRGB-encoded RGB in [0, 1]. Alpha, if the file had any, is dropped.
    pub rgb: Rgb32FImage,
    pub info: PhotoInfo,
    /// The memory set aside for working on it (see [`super::budget`]),
    /// given back when the last copy is dropped.
    _budget: Option<std::sync::Arc<super::budget::Reservation>>,
}

impl Photo {
    /// A photo decoded under a reservation of the memory budget.
    pub(super) fn with_budget(rgb: Rgb32FImage, info: PhotoInfo, budget: super::budget::Reservation) -> Self {
        Photo { rgb, info, _budget: Some(std::sync::Arc::new(budget)) }
    }
}

/// What the file was, apart from its pixels.
#[derive(Clone, Debug)]
pub struct PhotoInfo {
    pub path: Option<PathBuf>,
    /// Bits per channel in the file (8 or 16; 32 for float formats).
    pub bits_per_channel: u8,
    pub had_alpha: bool,
    pub was_grey: bool,
    pub icc_profile: Option<Vec<u8>>,
    /// What was done with the ICC profile: the pixels are sRGB either way
    /// ([`super::colour`]).
    pub colour: super::colour::ProfileUse,
    pub exif: Option<Vec<u8>>,
    /// The XMP packet (where Lightroom and darktable keep ratings,
    /// keywords and copyright), as the file holds it.
    pub xmp: Option<Vec<u8>>,
}

/// Why a photo could not be read. Each message is one readable line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot open {path}: {cause}")]
    Open { path: PathBuf, cause: std::io::Error },
    #[error("{path} is not an image format Polyshade can read ({READABLE})")]
    UnknownFormat { path: PathBuf },
    #[error("{path} is too large to open ({reason})")]
    TooLarge { path: PathBuf, reason: String },
    #[error("{path} cannot be opened now: {reason}")]
    Busy { path: PathBuf, reason: String },
    #[error("{path} could not be decoded, it may be truncated or corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path} has no pixels")]
    Empty { path: PathBuf },
    #[error("{path} is an empty file, not a photo")]
    EmptyFile { path: PathBuf },
    #[error("{path} is not a {format} file: its name says {format}, but what it holds is not {format} data")]
    NotWhatItsNameSays { path: PathBuf, format: String },
    #[error("{path} is {width}×{height} pixels; Polyshade needs at least {MIN_SIDE} on each side")]
    TooSmall { path: PathBuf, width: u32, height: u32 },
    #[error("{path} is a kind of {format} Polyshade cannot read ({reason})")]
    Unsupported { path: PathBuf, format: String, reason: String },
}

/// The kinds of file Polyshade reads, for messages.
pub const READABLE: &str =
    if cfg!(feature = "raw") { "JPEG, PNG, TIFF, WebP or camera RAW" } else { "JPEG, PNG, TIFF or WebP" };

/// The smallest side of a photo Polyshade takes (the network's 32×32).
pub const MIN_SIDE: u32 = crate::fields::NET_SIZE;

/// The longest side of a photo Polyshade takes.
pub const MAX_SIDE: u32 = 30_000;

/// The limits Polyshade decodes photos under: up to [`MAX_SIDE`] pixels a
/// side and 2 GiB of decoder allocations (a 100-megapixel 16-bit RGBA photo
/// fits).
pub fn photo_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(2 << 30);
    limits
}

/// A photo of `size` pixels, read from its header, before its pixels are
/// decoded: refused if empty, smaller than the network's 32×32, larger than
/// the memory budget or `max_sides`; otherwise its memory reserved (waiting
/// for other photos' if need be). The sides are checked after the budget,
/// so that a photo too large says how large in words.
pub(super) fn admit(
    path: &Path,
    (width, height): (u32, u32),
    (max_width, max_height): (Option<u32>, Option<u32>),
) -> Result<super::budget::Reservation, LoadError> {
    let owned = || path.to_path_buf();
    if width == 0 || height == 0 {
        return Err(LoadError::Empty { path: owned() });
    }
    // The network sees a photo at 32×32: a smaller one has nothing to give.
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(LoadError::TooSmall { path: owned(), width, height });
    }
    // Refused (or waiting for other photos) before its pixels are decoded.
    let budget = super::budget::shared().reserve(width, height).map_err(|e| match e {
        super::budget::BudgetError::TooLarge { .. } => LoadError::TooLarge { path: owned(), reason: e.to_string() },
        super::budget::BudgetError::Busy => LoadError::Busy { path: owned(), reason: e.to_string() },
    })?;
    if max_width.is_some_and(|w| width > w) || max_height.is_some_and(|h| height > h) {
        let most = max_width.max(max_height).unwrap_or_default();
        let reason = format!("{width}×{height} pixels; Polyshade takes photos of up to {most} pixels on a side");
        return Err(LoadError::TooLarge { path: owned(), reason });
    }
    Ok(budget)
}

/// Decodes `path` under [`photo_limits`].
pub fn load_photo(path: &Path) -> Result<Photo, LoadError> {
    load_photo_with_limits(path, photo_limits())
}

/// Decodes `path` under the given decoder limits.
pub fn load_photo_with_limits(path: &Path, limits: Limits) -> Result<Photo, LoadError> {
    let owned = || path.to_path_buf();
    #[cfg(feature = "raw")]
    if super::raw::is_raw(path) {
        return super::raw::load(path, &limits);
    }
    let mut reader = ImageReader::open(path)
        .map_err(|cause| LoadError::Open { path: owned(), cause })?
        .with_guessed_format()
        .map_err(|cause| LoadError::Open { path: owned(), cause })?;
    let Some(format) = reader.format() else {
        return Err(LoadError::UnknownFormat { path: owned() });
    };
    // Named as a photo, but its first bytes are no photo's: a text file or
    // random bytes renamed, not a damaged photo.
    let mut head = Vec::with_capacity(16);
    {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|cause| LoadError::Open { path: owned(), cause })?;
        file.take(16).read_to_end(&mut head).map_err(|cause| LoadError::Open { path: owned(), cause })?;
    }
    if head.is_empty() {
        return Err(LoadError::EmptyFile { path: owned() });
    }
    if image::guess_format(&head).is_err() {
        let format = format!("{format:?}").to_uppercase();
        return Err(LoadError::NotWhatItsNameSays { path: owned(), format });
    }
    // The JPEG decoder fills the rows of a file whose data ends early with
    // one value and says nothing; a photo that ends early is an error.
    if reader.format() == Some(image::ImageFormat::Jpeg) {
        let bytes = std::fs::read(path).map_err(|cause| LoadError::Open { path: owned(), cause })?;
        if let Err(incomplete) = super::jpeg_scan::check(&bytes) {
            return Err(LoadError::Corrupt { path: owned(), reason: incomplete.to_string() });
        }
    }
    // The sides are checked here, after the memory budget, so that a photo
    // too large says how large in words (the decoder's own check says only
    // "Image size exceeds limit").
    let (max_width, max_height) = (limits.max_image_width, limits.max_image_height);
    let mut header_limits = limits;
    (header_limits.max_image_width, header_limits.max_image_height) = (None, None);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(|e| classify(path, e))?;
    let (width, height) = decoder.dimensions();
    let budget = admit(path, (width, height), (max_width, max_height))?;
    let color = decoder.color_type();
    // Metadata is best-effort: a broken EXIF block must not lose the photo.
    let icc_profile = decoder.icc_profile().ok().flatten();
    let exif = decoder.exif_metadata().ok().flatten();
    let xmp = decoder.xmp_metadata().ok().flatten();
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| classify(path, e))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let mut rgb = image.to_rgb32f();
    // Into sRGB, the space the models work in, if the profile is another.
    let colour = super::colour::to_working(&mut rgb, icc_profile.as_deref());
    Ok(Photo::with_budget(
        rgb,
        PhotoInfo {
            path: Some(owned()),
            bits_per_channel: bits_per_channel(color),
            had_alpha: color.has_alpha(),
            was_grey: !color.has_color(),
            icc_profile,
            colour,
            exif,
            xmp,
        },
        budget,
    ))
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Photo").field("size", &self.rgb.dimensions()).field("info", &self.info).finish()
    }
}

impl Photo {
    /// Wraps pixels that did not come from a file (tests, synthetic scenes).
    pub fn from_rgb(rgb: Rgb32FImage) -> Self {
        Photo {
            rgb,
            info: PhotoInfo {
                path: None,
                bits_per_channel: 32,
                had_alpha: false,
                was_grey: false,
                icc_profile: None,
                colour: super::colour::ProfileUse::Assumed,
                exif: None,
                xmp: None,
            },
            _budget: None,
        }
    }

    /// Shrinks the pixels (triangle filter) so the long side is at most
    /// `max_side`, keeping the aspect ratio; the short side is rounded and
    /// kept at least `min_side`. Returns the new size if it shrank.
    pub fn shrink_to_fit(&mut self, max_side: u32, min_side: u32) -> Option<(u32, u32)> {
        let (w, h) = (self.width(), self.height());
        if w.max(h) <= max_side {
            return None;
        }
        let scale = f64::from(max_side) / f64::from(w.max(h));
        let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(min_side);
        let (nw, nh) = (side(w), side(h));
        self.rgb = image::imageops::resize(&self.rgb, nw, nh, image::imageops::FilterType::Triangle);
        Some((nw, nh))
    }

    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    pub fn height(&self) -> u32 {
        self.rgb.height()
    }

    /// The file name for display ("photo.jpg"), or "untitled".
    pub fn display_name(&self) -> String {
        self.info
            .path
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "untitled".to_owned())
    }
}

fn bits_per_channel(color: ColorType) -> u8 {
    let channels = u16::from(color.channel_count());
    (color.bits_per_pixel() / channels.max(1)) as u8
}

/// A decoder's message as one line (some end in a newline or span lines).
pub(super) fn one_line(message: impl std::fmt::Display) -> String {
    message.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn classify(path: &Path, error: image::ImageError) -> LoadError {
    use image::ImageError as E;
    let path = path.to_path_buf();
    match error {
        E::Limits(e) => LoadError::TooLarge { path, reason: one_line(e) },
        // A known format in a variant the decoder lacks (e.g. a float
        // greyscale TIFF): say which, not "not an image format".
        E::Unsupported(e) => match e.format_hint() {
            image::error::ImageFormatHint::Exact(format) => {
                LoadError::Unsupported { path, format: format!("{format:?}").to_uppercase(), reason: one_line(e) }
            }
            _ => LoadError::UnknownFormat { path },
        },
        E::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            LoadError::Corrupt { path, reason: "the file ends early".to_owned() }
        }
        other => LoadError::Corrupt { path, reason: one_line(other) },
    }
}
