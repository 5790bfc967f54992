//! The Survey view: two to four of the gallery's variants side by side, at
//! the viewer's zoom and position (Lightroom's Survey). Ctrl+click (or C
//! over a thumbnail) picks a variant; a click on a pane applies it; Esc
//! leaves.
//!
//! Each pane is its variant composed at full resolution on the GPU, from
//! the same upsampled field an apply would use, so what a pane shows is
//! what applying it gives.

use super::PolyshadeApp;
use crate::gpu::view::SurveyKey;

/// The most variants the Survey view shows at once.
pub const SURVEY_MOST: usize = 4;

/// What the viewer draws for one Survey pane.
#[derive(Clone, Debug)]
pub struct SurveyPane {
    pub key: SurveyKey,
    /// Whether the variant is on the GPU yet (else a spinner).
    pub ready: bool,
    pub applied: bool,
    /// Its mixture component, counted from 1.
    pub component: usize,
}

impl PolyshadeApp {
    /// Picks gallery variant `index` for the Survey view, or lets it go.
    pub(super) fn toggle_survey(&mut self, index: usize) {
        let Some(gallery) = self.gallery.current.as_mut() else { return };
        if gallery.variants().is_none_or(|v| index >= v.fields.len()) {
            return;
        }
        if let Some(at) = gallery.survey.iter().position(|&i| i == index) {
            gallery.survey.remove(at);
        } else if gallery.survey.len() >= SURVEY_MOST {
            self.window.notice = Some(format!(
                "Compare shows up to {SURVEY_MOST} variants side by side: take one out first (Ctrl+click it)"
            ));
            return;
        } else {
            gallery.survey.push(index);
        }
        self.sync_survey();
    }

    /// Leaves the Survey view.
    pub(super) fn close_survey(&mut self) {
        if let Some(gallery) = self.gallery.current.as_mut() {
            gallery.survey.clear();
            gallery.survey_pending.clear();
        }
        self.sync_survey();
    }

    /// Brings the GPU's Survey variants in line with the gallery's picks at
    /// the amount in use: hands over those upsampled, asks for the others
    /// (one job each), lets go of the rest. Cheap when nothing changed; run
    /// every frame, so a new gallery, amount or scene is followed.
    pub(super) fn sync_survey(&mut self) {
        let amount = self.gallery.amount;
        let mut keep = Vec::new();
        let mut upload = Vec::new();
        let mut missing = Vec::new();
        if let Some(gallery) = self.gallery.current.as_ref().filter(|g| g.is_surveying()) {
            for &index in &gallery.survey {
                let key = SurveyKey { scene: gallery.key, gallery: gallery.serial, index };
                keep.push(key);
                if self.view.survey_on_gpu.contains(&(key, amount)) {
                    continue;
                }
                match gallery.upsampled(index, amount) {
                    Some(done) => upload.push((key, done.generated.clone(), done.coarse.clone())),
                    None if !gallery.survey_pending.contains(&(index, amount)) => missing.push(index),
                    None => {}
                }
            }
        }
        if self.view.survey_on_gpu.iter().any(|(k, _)| !keep.contains(k)) {
            self.viewer_resources(|r| r.retain_survey(&keep));
            self.view.survey_on_gpu.retain(|(k, _)| keep.contains(k));
        }
        for (key, generated, coarse) in upload {
            // The scene may not be on the GPU yet: tried again next frame.
            if self.viewer_resources(|r| r.set_survey(key, &generated, &coarse)) == Some(true) {
                self.view.survey_on_gpu.retain(|(k, _)| *k != key);
                self.view.survey_on_gpu.push((key, amount));
            }
        }
        for index in missing {
            let Some(field) = self.applied_field(index) else { continue };
            let Some(gallery) = self.gallery.current.as_mut() else { return };
            let Some(upsampling) = gallery.variants().map(|v| v.upsampling.clone()) else { return };
            gallery.survey_pending.push((index, amount));
            self.jobs.upsample(gallery.serial, gallery.key.photo, (index, amount), field, upsampling);
        }
    }

    /// The Survey view's panes, in the order picked; empty unless two or
    /// more are picked.
    pub(super) fn survey_panes(&self) -> Vec<SurveyPane> {
        let Some(gallery) = self.gallery.current.as_ref().filter(|g| g.is_surveying()) else { return Vec::new() };
        let Some(variants) = gallery.variants() else { return Vec::new() };
        gallery
            .survey
            .iter()
            .map(|&index| {
                let key = SurveyKey { scene: gallery.key, gallery: gallery.serial, index };
                SurveyPane {
                    key,
                    ready: self.view.survey_on_gpu.iter().any(|(k, _)| *k == key),
                    applied: gallery.applied == Some(index) || gallery.applying == Some(index),
                    component: variants.components.get(index).map_or(0, |k| k + 1),
                }
            })
            .collect()
    }
}
