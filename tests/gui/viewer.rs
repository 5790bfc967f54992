//! The viewer: the photo composed through the shader, zoom, the histogram, hovering a variant, and Compare (variants side by side).

use std::path::PathBuf;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use polyshade::app::{Command, PolyshadeApp};

use crate::support::*;

#[test]
fn opens_the_sample_photo_and_draws_it_through_the_shader() {
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert!(harness.state().is_showing_photo());
    harness.get_by_label("Photo viewer");
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "ladybird.jpg");
    harness.snapshot("app_sample_photo");

    // The photo is drawn (colourful), and the saturation control reaches the
    // composition shader: at 0 the viewer turns grey.
    let before = colourfulness(&viewer_pixels(&harness.render().unwrap()));
    assert!(before > 25.0, "viewer shows no colourful photo ({before})");
    harness.state_mut().handle(Command::SetGain(0.0));
    harness.run_steps(2);
    let after = colourfulness(&viewer_pixels(&harness.render().unwrap()));
    assert!(after < 2.0, "saturation 0 should give grey, spread {after}");
}

#[test]
fn zoom_reads_in_percent_and_100_percent_is_one_screen_pixel_per_photo_pixel() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let scale = |h: &Harness<'static, PolyshadeApp>| h.state().view().scale;
    let fit = scale(&harness);
    assert!(fit > 0.05 && fit < 1.0, "the 2560-pixel photo is shown whole ({fit})");
    harness.get_by_label(&format!("{:.0} %", 100.0 * fit));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    harness.run_steps(3);
    assert!((scale(&harness) - 1.0).abs() < 1e-4, "Ctrl+1: 100 % ({})", scale(&harness));
    harness.get_by_label("100 %");
    // At 100 %, centred, the viewer's pixels are the photo's own.
    let viewer = harness.get_by_label("Photo viewer").rect();
    let image = harness.render().unwrap();
    let rgb = polyshade::io::load_photo(&photo).unwrap().rgb;
    let (cx, cy) = (viewer.center().x.round() as u32, viewer.center().y.round() as u32);
    let (px, py) = (rgb.width() / 2, rgb.height() / 2);
    let mut worst = 0.0f32;
    for dy in 0..16 {
        for dx in 0..16 {
            let shown = image.get_pixel(cx - 8 + dx, cy - 8 + dy);
            let own = rgb.get_pixel(px - 8 + dx, py - 8 + dy);
            for k in 0..3 {
                worst = worst.max((f32::from(shown[k]) - 255.0 * own[k]).abs());
            }
        }
    }
    assert!(worst <= 4.0, "at 100 % the viewer shows the photo pixel for pixel (off by {worst} levels)");
    // Z toggles back to fit, and to 100 % about the pointer.
    harness.key_press(egui::Key::Z);
    harness.run_steps(3);
    assert!((scale(&harness) - fit).abs() < 1e-4, "Z from 100 %: fit");
    harness.hover_at(viewer.center() + egui::vec2(60.0, 0.0));
    harness.key_press(egui::Key::Z);
    harness.run_steps(3);
    assert!((scale(&harness) - 1.0).abs() < 1e-4);
    assert!(harness.state().view().pan_in_ui.x < -1.0, "zoomed about the pointer, right of centre");
    harness.get_by_label("Fit").click();
    harness.run_steps(3);
    assert!((scale(&harness) - fit).abs() < 1e-4);
}

#[test]
fn the_histogram_follows_what_the_viewer_shows_and_flags_clipping() {
    use polyshade::fields::Task;
    let mut harness = new_harness(vec![sample_copy()]);
    harness.get_by_label("Histogram");
    let histogram = |h: &Harness<'static, PolyshadeApp>| h.state().histogram().cloned().expect("a histogram");
    let photo = histogram(&harness);
    assert!(photo.bins[0] != photo.bins[2], "a colourful photo's channels differ");
    // Saturation 0 is grey: the three channels alike.
    harness.state_mut().handle(Command::SetGain(0.0));
    settle(&mut harness);
    let grey = histogram(&harness);
    assert!(grey.bins[0] == grey.bins[1] && grey.bins[1] == grey.bins[2], "grey: R, G and B alike");
    harness.state_mut().handle(Command::SetGain(1.0));
    settle(&mut harness);
    assert_eq!(histogram(&harness), photo, "the photo again");
    // A hovered variant is what is shown.
    harness.get_by_label("Variant 4").hover();
    settle(&mut harness);
    assert!(harness.state().gallery().unwrap().preview_on_show.is_some());
    assert_ne!(histogram(&harness), photo, "the hovered variant's histogram");
    harness.remove_cursor();
    settle(&mut harness);
    // Light 2 brightens (the shoulder eases highlights towards white
    // rather than clipping them).
    harness.state_mut().handle(Command::SetTask(Task::Relight));
    settle(&mut harness);
    harness.state_mut().handle(Command::SetGain(2.0));
    settle(&mut harness);
    let mean_level = |h: &polyshade::app::Histogram| {
        let bins = &h.bins[1];
        bins.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum::<f64>() / bins.iter().sum::<u32>() as f64
    };
    assert!(mean_level(&histogram(&harness)) > mean_level(&photo) + 3.0, "light 2 moves the histogram right");
    // A photo with blown highlights and crushed shadows: both flagged.
    let blown = sample_copy().with_file_name("blown.png");
    let blown_photo = image::RgbImage::from_fn(200, 100, |x, _| match x {
        0..40 => image::Rgb([255, 255, 255]),
        40..60 => image::Rgb([0, 0, 0]),
        _ => image::Rgb([90 + (x % 50) as u8, 120, 60]),
    });
    blown_photo.save(&blown).unwrap();
    harness.state_mut().handle(Command::Open(vec![blown]));
    settle(&mut harness);
    let clipped = histogram(&harness);
    assert!((clipped.clipped_highlights - 0.2).abs() < 0.03, "{:?}", clipped.clipped_highlights);
    assert!((clipped.clipped_shadows - 0.1).abs() < 0.03, "{:?}", clipped.clipped_shadows);
    harness.get_by_label(&format!("Highlights {:.1} %", 100.0 * clipped.clipped_highlights));
}

#[test]
fn hovering_a_variant_shows_it_on_the_photo_without_applying_it() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let sidecar = PathBuf::from(format!("{}.polyshade.json", photo.display()));
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 2").hover();
    settle(&mut harness);
    let gallery = harness.state().gallery().unwrap();
    assert_eq!((gallery.applied, gallery.hovered), (None, Some(1)));
    let hovered = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &hovered);
    assert!(change > 6.0, "hovering a variant changed the viewer by only {change} levels");
    assert!(!sidecar.exists(), "a hover is not an edit");
    // The pointer elsewhere: the photo itself again.
    harness.get_by_label("Original").hover();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().hovered, None);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
    // Back and clicked: applied at once (no second upsampling), as shown.
    harness.get_by_label("Variant 2").hover();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered, "hovered again, from what was kept");
    harness.get_by_label("Variant 2").click();
    harness.run_steps(2);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(1), "applied without waiting for a job");
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered);
    assert!(sidecar.exists(), "the click is an edit");
    // Another variant hovered over the applied one, then left: the applied
    // one comes back.
    harness.get_by_label("Variant 5").hover();
    settle(&mut harness);
    let other = viewer_pixels(&harness.render().unwrap());
    assert!(mean_difference(&other, &hovered) > 1.0, "variant 5 is shown while hovered");
    harness.get_by_label("Original").hover();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(1));
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered);
}

#[test]
fn compare_shows_variants_side_by_side_at_one_zoom_and_applies_the_one_clicked() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let sidecar = PathBuf::from(format!("{}.polyshade.json", photo.display()));
    // One pick is not yet a comparison; Ctrl+click a second, and C over a
    // third thumbnail.
    harness.get_by_label("Variant 2").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut harness);
    assert!(!harness.state().is_surveying());
    harness.get_by_label("Photo viewer");
    harness.get_by_label("Variant 5").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut harness);
    harness.get_by_label("Variant 3").hover();
    harness.run_steps(2);
    harness.key_press(egui::Key::C);
    settle(&mut harness);
    assert!(harness.state().is_surveying());
    assert_eq!(harness.state().survey_ready(), vec![1, 4, 2], "every picked variant composed, in the order picked");
    assert_eq!(harness.state().gallery().unwrap().applied, None, "picking is not applying");
    assert!(!sidecar.exists(), "picking is not an edit");
    assert!(harness.query_by_label("Photo viewer").is_none());
    // Take the third out again (its pane's ×).
    harness.get_by_label("Take Variant 3 out of Compare").click();
    settle(&mut harness);
    assert_eq!(harness.state().survey_ready(), vec![1, 4]);
    harness.snapshot("compare");

    // At 100 %, every pane shows the photo's centre at the same scale as the
    // single view would: each pane's centre is what applying it gives there.
    harness.state_mut().handle(Command::Zoom(polyshade::app::ZoomRequest::OneToOne { at: None }));
    harness.run_steps(3);
    assert!((harness.state().view().scale - 1.0).abs() < 1e-3, "{:?}", harness.state().view());
    let image = harness.render().unwrap();
    let pane = |h: &Harness<'static, PolyshadeApp>, label: &str| h.get_by_label(label).rect().center();
    let in_pane_2 = mean_around(&image, pane(&harness, "Compare Variant 2"));
    let in_pane_5 = mean_around(&image, pane(&harness, "Compare Variant 5"));
    assert!(colour_distance(in_pane_2, in_pane_5) > 3.0, "two variants, two pictures: {in_pane_2:?} {in_pane_5:?}");

    // A click on a pane applies its variant (an edit); Compare stays open.
    harness.get_by_label("Compare Variant 5").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(4));
    assert!(sidecar.exists(), "applying from Compare is an edit");
    assert!(harness.state().is_surveying());
    // Esc leaves Compare (the applied variant stays applied), at the same zoom.
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(!harness.state().is_surveying());
    assert_eq!(harness.state().gallery().unwrap().applied, Some(4), "Esc left Compare only");
    assert!((harness.state().view().scale - 1.0).abs() < 1e-3);
    let single = |h: &mut Harness<'static, PolyshadeApp>| {
        let centre = h.get_by_label("Photo viewer").rect().center();
        mean_around(&h.render().unwrap(), centre)
    };
    let applied_5 = single(&mut harness);
    assert!(colour_distance(applied_5, in_pane_5) < 2.5, "pane {in_pane_5:?}, applied {applied_5:?}");
    harness.get_by_label("Variant 2").click();
    settle(&mut harness);
    let applied_2 = single(&mut harness);
    assert!(colour_distance(applied_2, in_pane_2) < 2.5, "pane {in_pane_2:?}, applied {applied_2:?}");
}
