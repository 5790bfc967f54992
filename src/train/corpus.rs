//! Where a dataset's fields live: in memory for examples pushed one by
//! one, or, for a folder's examples, in an unnamed temporary file of 16-bit
//! floats read a row at a time ([`super::Dataset`] holds which rows are
//! its own).

use std::io::Write;
use std::sync::Arc;

use half::f16;

use super::data::FIELD_LEN;

/// The fields of a dataset's examples, row by row: a row is an example's
/// condition field, then its generated field.
#[derive(Clone, Debug)]
pub(super) enum Fields {
    /// In memory, as given (examples pushed one by one).
    Memory(Vec<f32>),
    /// 16-bit floats in a file, read a row at a time.
    File(CorpusFile),
}

impl Default for Fields {
    fn default() -> Self {
        Fields::Memory(Vec::new())
    }
}

/// Values in a row: an example's two fields.
pub(super) const ROW_LEN: usize = 2 * FIELD_LEN;

impl Fields {
    /// Row `row` into `out` (`ROW_LEN` values).
    pub(super) fn try_read(&self, row: usize, out: &mut [f32]) -> std::io::Result<()> {
        match self {
            Fields::Memory(values) => out.copy_from_slice(&values[row * ROW_LEN..(row + 1) * ROW_LEN]),
            Fields::File(file) => file.read(row, out)?,
        }
        Ok(())
    }

    /// [`Self::try_read`] where a failure cannot be passed on: the file is
    /// this process's own and unnamed, so only a failing disk gets there.
    pub(super) fn read(&self, row: usize, out: &mut [f32]) {
        if let Err(error) = self.try_read(row, out) {
            panic!("the training examples' file could not be read: {error}");
        }
    }
}

/// Examples as 16-bit floats in an unnamed temporary file (gone when the
/// last handle closes), 4 KiB a row.
#[derive(Clone, Debug)]
pub(super) struct CorpusFile {
    file: Arc<std::fs::File>,
}

impl CorpusFile {
    /// A new, empty corpus file: beside the crop cache (where there is
    /// room for a cache), else in the system's temporary folder.
    fn create() -> std::io::Result<std::fs::File> {
        let folder = super::data::crops_dir();
        match folder.filter(|f| std::fs::create_dir_all(f).is_ok()) {
            Some(folder) => tempfile::tempfile_in(folder).or_else(|_| tempfile::tempfile()),
            None => tempfile::tempfile(),
        }
    }

    fn read(&self, row: usize, out: &mut [f32]) -> std::io::Result<()> {
        let mut bytes = [0u8; ROW_LEN * 2];
        read_at(&self.file, &mut bytes, (row * ROW_LEN * 2) as u64)?;
        let halves: &[f16] = bytemuck::cast_slice(&bytes);
        half::slice::HalfFloatSliceExt::convert_to_f32_slice(halves, out);
        Ok(())
    }
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, into: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, into, at)
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut into: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !into.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, into, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                into = &mut into[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// Writes a corpus file row by row.
pub(super) struct CorpusWriter {
    out: std::io::BufWriter<std::fs::File>,
    /// Rows written so far.
    pub(super) rows: usize,
}

impl CorpusWriter {
    pub(super) fn new() -> std::io::Result<Self> {
        Ok(CorpusWriter { out: std::io::BufWriter::with_capacity(1 << 20, CorpusFile::create()?), rows: 0 })
    }

    /// Appends rows given as 16-bit floats.
    pub(super) fn append(&mut self, rows: &[f16]) -> std::io::Result<()> {
        self.out.write_all(bytemuck::cast_slice(rows))?;
        self.rows += rows.len() / ROW_LEN;
        Ok(())
    }

    pub(super) fn finish(self) -> std::io::Result<CorpusFile> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(CorpusFile { file: Arc::new(file) })
    }
}
