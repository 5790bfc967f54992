//! Taking in what background jobs report: the one place their results
//! change the app's state.

use std::sync::Arc;

use super::gallery::{GalleryStatus, GalleryThumbnail, GalleryVariants, Upsampled};
use super::jobs::{self, JobResult};
use super::{Command, ModelState, PolyshadeApp, edits};
use crate::gpu::view::SceneKey;

impl PolyshadeApp {
    pub(super) fn take_job_results(&mut self, ctx: &egui::Context) {
        for result in self.jobs.drain() {
            match result {
                JobResult::Loaded(loaded) => {
                    let loaded = *loaded;
                    let id = loaded.id;
                    self.prep.loads.finished(id);
                    // Loaded before: decoded again after its splits gave way
                    // to the memory budget (its edit history is in memory).
                    let again = self.library.photos().iter().any(|p| p.id == id && p.is_loaded());
                    let texture =
                        ctx.load_texture(format!("thumbnail {id}"), loaded.thumbnail.clone(), Default::default());
                    let became_selected = self.library.finish_loading(loaded.id, &loaded, texture);
                    let path = self.library.photos().iter().find(|p| p.id == id).map(|p| p.path.clone());
                    if !again && let Some(path) = path {
                        match edits::find_sidecar(&path, self.data_dir.as_deref()) {
                            Ok(Some(sidecar)) => {
                                self.edits.histories.insert(id, edits::History::new(sidecar.edit));
                                self.set_favourites(id, sidecar.favourites);
                            }
                            Ok(None) => {}
                            Err(message) => {
                                tracing::warn!("{message}");
                                self.window.errors.push(message);
                            }
                        }
                    }
                    if let Some(scene) = loaded.scene {
                        let key = SceneKey { photo: id, task: scene.task() };
                        self.viewer_resources(|r| r.insert(key, scene));
                    }
                    if became_selected {
                        self.show_selected();
                    } else if again && self.library.selected().is_some_and(|p| p.id == id) {
                        self.ensure_scene();
                        self.sample_gallery();
                    }
                    self.start_loads();
                }
                #[cfg(feature = "raw")]
                JobResult::Thumbnail { id, image } => {
                    let texture = ctx.load_texture(format!("thumbnail {id}"), image, Default::default());
                    self.library.show_thumbnail_while_loading(id, texture);
                }
                JobResult::LoadFailed { id, message } => {
                    self.prep.loads.finished(id);
                    self.start_loads();
                    tracing::warn!("{message}");
                    self.set_favourites(id, Vec::new());
                    if self.library.remove(id) {
                        self.show_selected();
                    }
                    self.window.errors.push(message);
                }
                JobResult::Split { id, split } => {
                    self.prep.splitting.remove(&SceneKey { photo: id, task: split.preview.task() });
                    self.library.set_split(id, split);
                    if self.library.selected().is_some_and(|p| p.id == id) {
                        self.ensure_scene();
                        self.sample_gallery();
                    }
                }
                JobResult::Uploaded { key, scene } => {
                    self.prep.uploading.remove(&key);
                    self.viewer_resources(|r| r.insert(key, *scene));
                    if self.current_key() == Some(key) {
                        self.push_applied();
                    }
                }
                JobResult::Picked(paths) => self.handle(Command::Open(paths)),
                JobResult::FolderListed(Ok(photos)) => self.handle(Command::Open(photos)),
                JobResult::FolderListed(Err(message)) => self.window.errors.push(message),
                JobResult::BatchFolderPicked(folder) => self.handle(Command::BatchExportTo(folder)),
                JobResult::FolderPicked(folder) => {
                    self.train.setup.folder = Some(folder);
                }
                JobResult::ExportPicked(path) => self.handle(Command::ExportTo(path)),
                JobResult::Exported { path, report, size } => {
                    let mut notice = format!(
                        "Exported {} ({}×{}, {} bits)",
                        path.display(),
                        size.0,
                        size.1,
                        report.bits_per_channel
                    );
                    if !report.dropped.is_empty() {
                        notice.push_str(&format!("; left out: {}", report.dropped.join(", ")));
                    }
                    tracing::info!("{notice}");
                    self.window.notice = Some(notice);
                }
                JobResult::Histogram(key, histogram) => self.take_histogram(key, *histogram),
                JobResult::DialogFailed(purpose) => {
                    self.window.path_prompt = Some(super::panels::PathPrompt::new(purpose))
                }
                JobResult::ExportFailed(message) => {
                    self.window.notice = None;
                    self.window.errors.push(format!("export failed: {message}"));
                }
                JobResult::ModelLoaded { task, .. } if self.models.tasks[task.index()].file.is_some() => {
                    // The user's model file came first; it stays.
                }
                JobResult::ModelLoaded { task, result } => {
                    self.models.tasks[task.index()].state = match result {
                        Ok(network) => ModelState::Ready(network),
                        Err(message) => {
                            let message = format!("cannot load the {} model: {message}", task.name());
                            self.window.errors.push(message.clone());
                            ModelState::Failed(message)
                        }
                    };
                    if task == self.gallery.task {
                        self.sample_gallery();
                    }
                }
                JobResult::ModelFileLoaded { path, result } => match result {
                    Ok(loaded) => {
                        let jobs::LoadedModel { task, network, description, checksum } = *loaded;
                        tracing::info!("the {} gallery uses {description}", task.name());
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        self.models.tasks[task.index()] = super::TaskModel {
                            state: ModelState::Ready(Box::new(network)),
                            file: Some(description),
                            id: edits::ModelId { name, checksum },
                        };
                        if !self.models.files.contains(&path) {
                            self.models.files.push(path.clone());
                        }
                        self.check_pending_model();
                        if task == self.gallery.task {
                            self.free_thumbnails();
                            self.gallery.current = None;
                            self.sample_gallery();
                        }
                    }
                    Err(message) => {
                        // The bundled model stays in use.
                        self.window.errors.push(format!("cannot use the model {}: {message}", path.display()));
                    }
                },
                JobResult::ModelsScanned(models) => self.train.models = models,
                JobResult::Sampled(sampled) => {
                    let sampled = *sampled;
                    let Some(sampled) = self.take_sampled_favourites(sampled) else { continue };
                    let Some(gallery) = self.gallery.current.as_mut() else { continue };
                    if gallery.serial != sampled.serial {
                        continue; // A gallery the user has moved on from.
                    }
                    tracing::info!(
                        "gallery of photo {} ({}): {} variants in {} ms",
                        sampled.key.photo,
                        sampled.key.task.name(),
                        sampled.fields.len(),
                        gallery.requested.elapsed().as_millis()
                    );
                    let Some(rs) = self.gpu.render_state.as_ref() else { continue };
                    let thumbnails =
                        sampled.thumbnails.into_iter().map(|texture| GalleryThumbnail::register(rs, texture)).collect();
                    gallery.status = GalleryStatus::Ready(GalleryVariants {
                        fields: sampled.fields,
                        components: sampled.components,
                        pi: sampled.pi,
                        thumbnails,
                        upsampling: sampled.upsampling,
                    });
                    self.attach_favourite_thumbnails();
                }
                JobResult::SampleFailed { serial, message } => {
                    if self.favourite_gallery_failed(serial) {
                        tracing::warn!("a favourite's gallery: {message}");
                    } else if let Some(gallery) = self.gallery.current.as_mut()
                        && gallery.serial == serial
                    {
                        gallery.status = GalleryStatus::Failed(message);
                    }
                }
                JobResult::Upsampled { serial: super::scenes::REAPPLY, amount, generated, coarse, .. } => {
                    self.take_reapplied(amount, generated, coarse);
                }
                JobResult::Upsampled { serial, index, amount, generated, coarse } => {
                    if self.gallery.current.as_ref().is_some_and(|g| g.serial == serial) {
                        self.take_upsampled(Upsampled { index, amount, generated: Arc::new(generated), coarse });
                    }
                }
            }
        }
    }
}
