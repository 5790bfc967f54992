//! Edits as documents: what the user did to a photo (task, model, seed,
//! component, variant, saturation or light, detail) is a small JSON sidecar
//! beside the photo, `NAME.EXT.polyshade.json` — never inside the original —
//! or in the app's data folder where the photo's folder is read-only.
//! Reopening the photo restores it; [`History`] gives undo and redo. The
//! sidecar also keeps the photo's favourite variants ([`Look`]s), which are
//! not edits: starring one is no undo step.

use std::path::{Path, PathBuf};

use crate::compose::ComposeParams;
use crate::fields::Task;
use crate::sampling::Component;

/// The sidecar format's version.
pub const VERSION: u32 = 1;

/// Where a gallery's variants come from: the task, the model and the
/// request (seed, component, count). Drawn again from these, a gallery is
/// the same, pixel for pixel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Draw {
    pub task: Task,
    /// The model the variants came from: "bundled", or a model file's name.
    pub model: String,
    /// CRC-32 of the model's bytes (hex), to tell a retrained file apart.
    pub model_hash: String,
    pub seed: u64,
    /// The mixture component the gallery drew from (`None`: all).
    pub component: Option<usize>,
    /// Variants in the gallery (the variant index depends on it).
    pub n: usize,
}

impl Draw {
    /// The gallery of `task` that `model` draws for `request`.
    pub fn new(task: Task, model: ModelId, request: crate::sampling::SampleRequest) -> Self {
        let ModelId { name, checksum } = model;
        Draw {
            task,
            model: name,
            model_hash: checksum,
            seed: request.seed,
            component: request.component.index(),
            n: request.n,
        }
    }

    /// The model it draws from.
    pub fn model_id(&self) -> ModelId {
        ModelId { name: self.model.clone(), checksum: self.model_hash.clone() }
    }

    pub fn component(&self) -> Component {
        self.component.into()
    }

    /// What the gallery asks the model for.
    pub fn request(&self) -> crate::sampling::SampleRequest {
        crate::sampling::SampleRequest { n: self.n, seed: self.seed, component: self.component() }
    }
}

/// One photo's edit.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub version: u32,
    /// The gallery its variant comes from (or, with no variant, the one
    /// on show).
    #[serde(flatten)]
    pub draw: Draw,
    /// The applied variant (`None`: the photo itself).
    pub variant: Option<usize>,
    /// Saturation (resaturate) or light (relight) gain.
    pub gain: f32,
    pub detail_strength: f32,
    /// How far the applied variant departs from the photo (0 = the photo,
    /// 1 = the sample, up to 2). Sidecars from before it have 1.
    #[serde(default = "full_amount")]
    pub amount: f32,
}

fn full_amount() -> f32 {
    1.0
}

/// A variant as the gallery draws it again: its gallery and its place
/// there. A favourite is one of these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Look {
    #[serde(flatten)]
    pub draw: Draw,
    pub variant: usize,
}

impl Edit {
    /// The applied variant's look (`None`: the photo itself).
    pub fn look(&self) -> Option<Look> {
        Some(Look { draw: self.draw.clone(), variant: self.variant? })
    }

    /// This edit with `look` applied: its gallery and variant; the sliders
    /// (gain, detail, amount) stay as they are.
    pub fn with_look(&self, look: &Look) -> Edit {
        Edit { draw: look.draw.clone(), variant: Some(look.variant), ..self.clone() }
    }

    pub fn params(&self) -> ComposeParams {
        ComposeParams { gain: self.gain, detail_strength: self.detail_strength }
    }
}

/// How an edit names the bundled model of its task.
pub const BUNDLED_MODEL: &str = "bundled";

/// A model as edits name it: the file's name ([`BUNDLED_MODEL`] for the
/// bundled one) and the checksum of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelId {
    pub name: String,
    pub checksum: String,
}

impl ModelId {
    /// The bundled model of `task`.
    pub fn bundled(task: Task) -> Self {
        let checksum = crate::model::stored_checksum(crate::model::bundled::bytes(task));
        ModelId { name: BUNDLED_MODEL.to_owned(), checksum }
    }

    /// The model file `path` holding `bytes`.
    pub fn file(path: &std::path::Path, bytes: &[u8]) -> Self {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
        ModelId { name, checksum: crate::model::stored_checksum(bytes) }
    }
}

/// Where the model an edit was made with is on this machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelSource {
    Bundled(Task),
    File(PathBuf),
}

/// Why an edit's variant cannot be drawn again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelMismatch {
    #[error("the model it was made with ({0}) is not on this machine")]
    Missing(String),
    #[error("the model {0} has changed since this edit was made (retrained?)")]
    Changed(String),
}

impl ModelId {
    /// Whether `found`, the model file loaded for this id, is the very one
    /// the edit was made with (not one retrained under its name).
    pub fn check(&self, found: &ModelId) -> Result<(), ModelMismatch> {
        if self.checksum == found.checksum { Ok(()) } else { Err(ModelMismatch::Changed(self.name.clone())) }
    }
}

/// Finds the model `draw` names: the bundled one, a model file the app was
/// given (`files`), or one trained in the app (the data folder's
/// `models/`); otherwise it is nowhere here, so its variants cannot be
/// drawn again. Once loaded, [`ModelId::check`] tells whether it is still
/// the edit's.
pub fn locate_model(draw: &Draw, files: &[PathBuf], data_dir: Option<&Path>) -> Result<ModelSource, ModelMismatch> {
    find_model(draw, files, data_dir).ok_or_else(|| ModelMismatch::Missing(draw.model.clone()))
}

fn find_model(draw: &Draw, files: &[PathBuf], data_dir: Option<&Path>) -> Option<ModelSource> {
    if draw.model == BUNDLED_MODEL {
        return Some(ModelSource::Bundled(draw.task));
    }
    let named = |path: &&PathBuf| path.file_name().is_some_and(|n| n.to_string_lossy() == draw.model);
    // A name is one path component: "../x.psm" never leaves the folder.
    let plain_name = Path::new(&draw.model).file_name().is_some_and(|n| n.to_string_lossy() == draw.model);
    files.iter().find(named).cloned().map(ModelSource::File).or_else(|| {
        let trained = data_dir?.join("models").join(&draw.model);
        (plain_name && trained.is_file()).then_some(ModelSource::File(trained))
    })
}

/// The largest sidecar read: an edit and its favourites take a few kB.
pub const MAX_SIDECAR_BYTES: u64 = 1 << 20;

/// The most favourites a sidecar keeps.
pub const MAX_FAVOURITES: usize = 1000;

/// The longest model name an edit holds (a file name).
const MAX_NAME_BYTES: usize = 255;

impl Edit {
    /// Checks every field against the ranges the app's controls and the
    /// command line's options take (a sidecar is a file anyone can write).
    pub fn validate(&self) -> Result<(), String> {
        let in_range = |what: &str, value: f32, hi: f32| {
            if value.is_finite() && (0.0..=hi).contains(&value) {
                Ok(())
            } else {
                Err(format!("its {what} ({value}) is outside 0…{hi}"))
            }
        };
        let draw = &self.draw;
        if !(1..=MAX_GALLERY).contains(&draw.n) {
            return Err(format!("its gallery size ({}) is outside 1…{MAX_GALLERY}", draw.n));
        }
        if let Some(variant) = self.variant
            && variant >= draw.n
        {
            return Err(format!("its variant ({}) is not one of its gallery's {}", variant + 1, draw.n));
        }
        if draw.component.is_some_and(|k| k >= MAX_GALLERY) {
            return Err("its mixture component is out of range".to_owned());
        }
        in_range("gain", self.gain, 2.0)?;
        in_range("detail", self.detail_strength, 4.0)?;
        in_range("amount", self.amount, crate::variants::MAX_AMOUNT)?;
        if draw.model.is_empty() || draw.model.len() > MAX_NAME_BYTES || draw.model_hash.len() > 16 {
            return Err("its model name is not a file name".to_owned());
        }
        Ok(())
    }
}

/// The most variants a gallery draws (as `sample -n` takes).
pub const MAX_GALLERY: usize = 1000;

/// The sidecar beside `photo`: `NAME.EXT.polyshade.json`.
pub fn sidecar_path(photo: &Path) -> PathBuf {
    let mut name = photo.file_name().unwrap_or_default().to_os_string();
    name.push(".polyshade.json");
    photo.with_file_name(name)
}

/// Where the edit of `photo` goes when its folder is read-only: the data
/// folder's `edits/`, named by a hash of the photo's full path.
pub fn fallback_path(data_dir: &Path, photo: &Path) -> PathBuf {
    let full = photo.canonicalize().unwrap_or_else(|_| photo.to_path_buf());
    let hash = crc32fast::hash(full.to_string_lossy().as_bytes());
    let name = photo.file_name().unwrap_or_default().to_string_lossy();
    data_dir.join("edits").join(format!("{name}.{hash:08x}.polyshade.json"))
}

/// What a sidecar holds: the photo's current edit and its favourite looks
/// (a sidecar from before favourites has none).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sidecar {
    #[serde(flatten)]
    pub edit: Edit,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub favourites: Vec<Look>,
}

/// Writes `sidecar` for `photo` (atomically): beside it, or in `data_dir`
/// when that fails. Returns where it went.
pub fn save(photo: &Path, data_dir: Option<&Path>, sidecar: &Sidecar) -> Result<PathBuf, String> {
    let json = serde_json::to_vec_pretty(sidecar).expect("an edit always serialises");
    let beside = sidecar_path(photo);
    match crate::io::write_atomically(&beside, &[&json]) {
        Ok(()) => Ok(beside),
        Err(first) => {
            let Some(data_dir) = data_dir else {
                return Err(format!("cannot save the edit beside the photo ({first})"));
            };
            let fallback = fallback_path(data_dir, photo);
            let written = fallback
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| crate::io::write_atomically(&fallback, &[&json]));
            written.map(|()| fallback.clone()).map_err(|e| format!("cannot save the edit ({first}; {e})"))
        }
    }
}

/// The saved edit of `photo`, if any (see [`load_sidecar`]).
pub fn load(photo: &Path, data_dir: Option<&Path>) -> Option<Edit> {
    load_sidecar(photo, data_dir).map(|s| s.edit)
}

/// The sidecar of `photo`, if any: beside it first, then in `data_dir`.
/// One that does not read as a valid edit is ignored with a warning.
pub fn load_sidecar(photo: &Path, data_dir: Option<&Path>) -> Option<Sidecar> {
    find_sidecar(photo, data_dir).unwrap_or_else(|message| {
        tracing::warn!("{message}");
        None
    })
}

/// The sidecar of `photo`, if any (beside it first, then in `data_dir`),
/// or why the one there is ignored (the first valid one wins).
pub fn find_sidecar(photo: &Path, data_dir: Option<&Path>) -> Result<Option<Sidecar>, String> {
    let candidates = std::iter::once(sidecar_path(photo)).chain(data_dir.map(|d| fallback_path(d, photo)));
    let mut problem = None;
    for path in candidates.filter(|p| p.is_file()) {
        match read_sidecar(&path) {
            Ok(sidecar) => return Ok(Some(sidecar)),
            Err(message) => problem = problem.or(Some(format!("{message}; ignored, the photo opens as it is"))),
        }
    }
    problem.map_or(Ok(None), Err)
}

/// Reads and checks the sidecar at `path` (its size, its format, every
/// field's range: see [`Edit::validate`]).
pub fn read_sidecar(path: &Path) -> Result<Sidecar, String> {
    use std::io::Read;
    let fail = |why: String| format!("{}: {why}", path.display());
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read it ({e})")))?;
    let mut bytes = Vec::new();
    file.take(MAX_SIDECAR_BYTES + 1).read_to_end(&mut bytes).map_err(|e| fail(format!("cannot read it ({e})")))?;
    if bytes.len() as u64 > MAX_SIDECAR_BYTES {
        return Err(fail(format!("over {} kB: not a Polyshade edit", MAX_SIDECAR_BYTES >> 10)));
    }
    let sidecar: Sidecar = serde_json::from_slice(&bytes).map_err(|e| fail(format!("not a Polyshade edit ({e})")))?;
    if sidecar.edit.version != VERSION {
        return Err(fail(format!("edit format {} is not known", sidecar.edit.version)));
    }
    sidecar.edit.validate().map_err(|why| fail(format!("not a valid edit: {why}")))?;
    if sidecar.favourites.len() > MAX_FAVOURITES {
        return Err(fail(format!("more than {MAX_FAVOURITES} favourites")));
    }
    for look in &sidecar.favourites {
        let as_edit = Edit { variant: Some(look.variant), ..sidecar.edit.clone() }.with_look(look);
        as_edit.validate().map_err(|why| fail(format!("a favourite is not valid: {why}")))?;
    }
    Ok(sidecar)
}

/// The photo as `edit` makes it, at full resolution: its variant drawn
/// again from `model` (the edit's; `None` where it applies no variant) and
/// composed with its sliders ([`compose_variant`]). The command line's
/// `export` and batch export use it.
pub fn render(
    photo: &crate::io::Photo,
    edit: &Edit,
    model: Option<&crate::model::Network>,
) -> Result<image::Rgb32FImage, String> {
    use crate::variants::{PhotoSplit, draw_distinct};
    let split = PhotoSplit::new(edit.draw.task, &photo.rgb);
    let upsampling = split.upsampling();
    let field = match edit.variant {
        None => None,
        Some(index) => {
            let model = model.ok_or("no model to draw its variant from")?;
            let screen = split.light_screen(&upsampling);
            let samples = draw_distinct(model, &split.network_condition(), screen.as_ref(), edit.draw.request())
                .map_err(|e| e.to_string())?;
            let field = samples.fields.into_iter().nth(index);
            Some(field.ok_or_else(|| format!("there is no variant {}", index + 1))?)
        }
    };
    Ok(compose_variant(&split, &upsampling, field.as_ref(), edit.params(), edit.amount))
}

/// What every export writes: `field` (a variant's 32×32 field as drawn;
/// `None`: the photo's own) taken `amount` of the way from the photo's and
/// composed at full resolution with `params`. The app's export, which has
/// the applied variant's field already, calls it directly.
pub fn compose_variant(
    split: &crate::variants::PhotoSplit,
    upsampling: &crate::variants::Upsampling,
    field: Option<&crate::fields::Field>,
    params: crate::compose::ComposeParams,
    amount: f32,
) -> image::Rgb32FImage {
    match field {
        Some(field) => split.compose(&split.at_amount(field, amount), upsampling, params),
        None => split.compose(&split.own_field(), upsampling, params),
    }
}

/// Undo and redo over a photo's edits: `entries[at]` is the current one.
#[derive(Clone, Debug, Default)]
pub struct History {
    entries: Vec<Edit>,
    at: usize,
    /// Whether the last entry may still be replaced (a slider being dragged).
    open: bool,
}

impl History {
    /// Starts with `edit` as the only state (e.g. a sidecar read back).
    pub fn new(edit: Edit) -> Self {
        History { entries: vec![edit], at: 0, open: false }
    }

    pub fn current(&self) -> Option<&Edit> {
        self.entries.get(self.at)
    }

    /// Records `edit` as the new current state, dropping the redo branch.
    /// While `continuing` (one slider drag), it replaces the entry the drag
    /// started, so a drag is one undo step. An edit equal to the current
    /// one records nothing.
    pub fn record(&mut self, edit: Edit, continuing: bool) {
        if self.current() == Some(&edit) {
            return;
        }
        self.entries.truncate(self.at + 1);
        // Open: the current entry is this drag's own (undo, redo and any
        // other edit close it).
        if continuing && self.open {
            self.entries[self.at] = edit;
        } else {
            self.entries.push(edit);
            self.at = self.entries.len() - 1;
        }
        self.open = continuing;
    }

    /// Ends a slider drag: the next change is a step of its own. Returns
    /// whether a drag was recorded.
    pub fn close(&mut self) -> bool {
        std::mem::replace(&mut self.open, false)
    }

    pub fn undo(&mut self) -> Option<&Edit> {
        self.open = false;
        self.at = self.at.checked_sub(1)?;
        self.current()
    }

    pub fn redo(&mut self) -> Option<&Edit> {
        self.open = false;
        if self.at + 1 >= self.entries.len() {
            return None;
        }
        self.at += 1;
        self.current()
    }

    pub fn can_undo(&self) -> bool {
        self.at > 0
    }

    pub fn can_redo(&self) -> bool {
        self.at + 1 < self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(variant: Option<usize>, gain: f32) -> Edit {
        Edit {
            version: VERSION,
            draw: Draw {
                task: Task::Resaturate,
                model: "bundled".into(),
                model_hash: "0".into(),
                seed: 0,
                component: None,
                n: 12,
            },
            variant,
            gain,
            detail_strength: 1.0,
            amount: 1.0,
        }
    }

    #[test]
    fn a_sidecar_from_before_the_amount_reads_as_amount_one() {
        let mut json = serde_json::to_value(edit(Some(3), 1.2)).unwrap();
        json.as_object_mut().unwrap().remove("amount");
        let read: Edit = serde_json::from_value(json).unwrap();
        assert_eq!(read, edit(Some(3), 1.2));
    }

    #[test]
    fn favourites_go_with_the_edit_and_apply_their_look_but_not_the_sliders() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("dunes.png");
        let look = edit(Some(7), 1.0).look().unwrap();
        let starred = Look { draw: Draw { seed: 4, component: Some(2), ..look.draw }, variant: 7 };
        let sidecar = Sidecar { edit: edit(Some(1), 1.3), favourites: vec![starred.clone()] };
        save(&photo, None, &sidecar).unwrap();
        assert_eq!(load_sidecar(&photo, None), Some(sidecar.clone()));
        // A sidecar without favourites (as before them) reads as none, and
        // one with none writes no field.
        save(&photo, None, &Sidecar { favourites: Vec::new(), ..sidecar.clone() }).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(sidecar_path(&photo)).unwrap()).unwrap();
        assert!(json.get("favourites").is_none());
        assert_eq!(load_sidecar(&photo, None).unwrap().favourites, Vec::<Look>::new());
        // Applying the look takes its request and variant, keeps the gain.
        let applied = sidecar.edit.with_look(&starred);
        assert_eq!(
            (applied.draw.seed, applied.draw.component, applied.variant, applied.gain),
            (4, Some(2), Some(7), 1.3)
        );
        assert_eq!(applied.look(), Some(starred));
        assert_eq!(edit(None, 1.0).look(), None, "the photo itself is no look");
    }

    #[test]
    fn a_slider_drag_is_one_undo_step_and_redo_comes_back() {
        let mut h = History::new(edit(None, 1.0));
        h.record(edit(Some(2), 1.0), false);
        // One drag: three values, one step.
        for gain in [1.1, 1.2, 1.3] {
            h.record(edit(Some(2), gain), true);
        }
        h.close();
        h.record(edit(Some(5), 1.3), false);
        assert_eq!(h.current(), Some(&edit(Some(5), 1.3)));
        assert_eq!(h.undo(), Some(&edit(Some(2), 1.3)));
        assert_eq!(h.undo(), Some(&edit(Some(2), 1.0)), "the drag was one step");
        assert_eq!(h.undo(), Some(&edit(None, 1.0)));
        assert_eq!(h.undo(), None);
        assert!(!h.can_undo() && h.can_redo());
        // A drag into a history that had no state yet is one entry too.
        let mut fresh = History::default();
        for gain in [1.2, 1.35, 2.0] {
            fresh.record(edit(None, gain), true);
        }
        assert_eq!((fresh.current(), fresh.can_undo()), (Some(&edit(None, 2.0)), false));
        assert_eq!(h.redo(), Some(&edit(Some(2), 1.0)));
        // A new edit drops the redo branch.
        h.record(edit(Some(7), 1.0), false);
        assert!(!h.can_redo());
        assert_eq!(h.undo(), Some(&edit(Some(2), 1.0)));
    }

    #[test]
    fn sidecars_go_beside_the_photo_or_to_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("beach.jpg");
        std::fs::write(&photo, b"not read").unwrap();
        assert_eq!(sidecar_path(&photo), dir.path().join("beach.jpg.polyshade.json"));
        let e = edit(Some(3), 1.4);
        let only = |edit: &Edit| Sidecar { edit: edit.clone(), favourites: Vec::new() };
        assert_eq!(save(&photo, None, &only(&e)).unwrap(), sidecar_path(&photo));
        assert_eq!(load(&photo, None), Some(e.clone()));
        assert_eq!(std::fs::read(&photo).unwrap(), b"not read", "the photo itself is untouched");
        // A folder that cannot be written to: the data folder takes it.
        let missing = dir.path().join("no such folder").join("x.jpg");
        let data = tempfile::tempdir().unwrap();
        let went = save(&missing, Some(data.path()), &only(&e)).unwrap();
        assert!(went.starts_with(data.path()));
        assert_eq!(load(&missing, Some(data.path())), Some(e));
        // Garbage is ignored, not fatal.
        std::fs::write(sidecar_path(&photo), b"{ not json").unwrap();
        assert_eq!(load(&photo, None), None);
    }
}
