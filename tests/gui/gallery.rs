//! The gallery: distinct variants that apply, relighting, the keyboard, the amount, the strip and the grid, favourites, and an applied variant that stays applied.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use polyshade::app::{Command, PolyshadeApp};

use crate::support::*;

#[test]
fn the_gallery_shows_distinct_variants_that_apply_to_the_viewer() {
    use polyshade::sampling::Component;
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let variants = |h: &Harness<'static, PolyshadeApp>| {
        let gallery = h.state().gallery().expect("a gallery for the selected photo");
        let variants = gallery.variants().unwrap_or_else(|| panic!("the gallery is not ready"));
        (variants.fields.clone(), variants.components.clone(), variants.pi.clone(), variants.thumbnails.len())
    };
    let (fields, _, pi, thumbnails) = variants(&harness);
    assert_eq!((fields.len(), thumbnails), (12, 12));
    for i in 1..=12 {
        harness.get_by_label(&format!("Variant {i}"));
    }
    harness.snapshot("gallery");

    // Clicking a variant composes it in the viewer; "Original" goes back.
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(0));
    let applied = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &applied);
    assert!(change > 6.0, "applying a variant changed the viewer by only {change} levels");
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2));
    harness.snapshot("variant_applied");
    // Before/after: holding \ shows the photo itself, releasing it the variant.
    let after = viewer_pixels(&harness.render().unwrap());
    harness.key_down(egui::Key::Backslash);
    harness.run_steps(3);
    assert!(harness.state().is_comparing());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original, "before: the photo");
    harness.key_up(egui::Key::Backslash);
    harness.run_steps(3);
    assert!(!harness.state().is_comparing());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), after, "after: the variant again");
    // The split view: the photo left of the divider, the variant right of it.
    harness.state_mut().handle(Command::SetDivider(Some(0.5)));
    harness.run_steps(3);
    harness.get_by_label("Before/after divider");
    harness.snapshot("before_after_split");
    let split = viewer_pixels(&harness.render().unwrap());
    let (mut from_before, mut from_after) = (0, 0);
    for ((s, o), a) in split.iter().zip(&original).zip(&after) {
        if o != a {
            from_before += usize::from(s == o);
            from_after += usize::from(s == a);
        }
    }
    let differing = original.iter().zip(&after).filter(|(o, a)| o != a).count();
    assert!(
        from_before > differing / 4 && from_after > differing / 4,
        "split: {from_before} pixels from the photo, {from_after} from the variant, of {differing}"
    );
    harness.state_mut().handle(Command::SetDivider(None));
    harness.run_steps(3);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), after);
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original, "back to the photo itself");

    // The MDN slider at one component: every variant comes from it, and
    // the gallery changes.
    let k = pi.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    harness.state_mut().handle(Command::SetComponent(Component::Only(k)));
    settle(&mut harness);
    let (only, components, _, _) = variants(&harness);
    assert!(components.iter().all(|&c| c == k), "{components:?}");
    assert_ne!(only, fields);
}

#[test]
fn relight_fills_the_gallery_and_switching_back_uploads_nothing() {
    use polyshade::fields::Task;
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let original = viewer_pixels(&harness.render().unwrap());
    let uploads = harness.state().scene_uploads();
    assert_eq!(uploads, 1, "the photo went to the GPU once");

    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert_eq!(harness.state().task(), Task::Relight);
    let gallery = harness.state().gallery().expect("a relight gallery");
    assert_eq!(gallery.key.task, Task::Relight);
    let fields = gallery.variants().expect("the relight gallery is ready").fields.clone();
    assert_eq!(fields.len(), 12);
    // Every thumbnail a different picture: no two shadings nearly equal.
    for (i, a) in fields.iter().enumerate() {
        for b in &fields[i + 1..] {
            assert!(polyshade::eval::mse(a, b) > 1e-4, "two near-identical relightings");
        }
    }
    // Albedo × shading gives the photo back: the viewer looks the same.
    let relit_photo = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&original, &relit_photo);
    assert!(drift < 1.5, "the photo split for relighting is shown {drift} levels off");
    assert_eq!(harness.state().scene_uploads(), uploads + 1, "the relight split went to the GPU");
    harness.snapshot("gallery_relight");

    harness.get_by_label("Variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(0));
    let relit = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&relit_photo, &relit);
    assert!(change > 3.0, "applying a relighting changed the viewer by only {change} levels");

    // Back and forth between the tasks: both scenes stay on the GPU; the
    // relighting stays applied over the resaturation gallery until Original.
    harness.get_by_label("Resaturate").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), relit);
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), relit_photo);
    assert_eq!(harness.state().scene_uploads(), uploads + 1, "switching tasks uploaded a photo again");
}

#[test]
fn the_keyboard_steps_through_variants_and_f1_lists_the_shortcuts() {
    let mut harness = new_harness(vec![sample_copy()]);
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let press = |h: &mut Harness<'static, PolyshadeApp>, key| {
        h.key_press(key);
        settle(h);
    };
    press(&mut harness, egui::Key::ArrowRight);
    assert_eq!(applied(&harness), Some(0));
    press(&mut harness, egui::Key::ArrowRight);
    assert_eq!(applied(&harness), Some(1));
    press(&mut harness, egui::Key::ArrowLeft);
    assert_eq!(applied(&harness), Some(0));
    press(&mut harness, egui::Key::ArrowLeft);
    assert_eq!(applied(&harness), Some(11), "wraps around");
    press(&mut harness, egui::Key::Escape);
    assert_eq!(applied(&harness), None, "Esc shows the photo itself");
    press(&mut harness, egui::Key::R);
    assert_eq!(harness.state().gallery().unwrap().request.seed, 1, "R re-samples");
    assert!(!harness.state().is_help_open());
    press(&mut harness, egui::Key::F1);
    assert!(harness.state().is_help_open());
    harness.get_by_label("Keyboard shortcuts");
    harness.get_by_label("Apply the next variant");
}

#[test]
fn the_amount_takes_the_applied_variant_from_the_photo_to_twice_its_change() {
    use polyshade::app::edits::load;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let applied = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &applied);
    assert!(change > 3.0, "the variant changes the photo ({change} levels)");
    let mut at = |amount: f32| {
        harness.state_mut().handle(Command::SetAmount(amount));
        settle(&mut harness);
        mean_difference(&original, &viewer_pixels(&harness.render().unwrap()))
    };
    let none = at(0.0);
    assert!(none < 1.0, "amount 0 is the photo ({none} levels off)");
    let twice = at(2.0);
    assert!(twice > 1.4 * change, "amount 2 goes further: {twice} vs {change} levels");
    let saved = load(&photo, None).unwrap();
    assert_eq!((saved.variant, saved.amount), (Some(2), 2.0), "the sidecar keeps the amount");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(load(&photo, None).unwrap().amount, 0.0, "undo takes the amount back");
}

#[test]
fn the_strip_scrolls_with_the_wheel_stays_put_when_a_star_appears_and_shows_a_reopened_edit() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let at = |h: &Harness<'static, PolyshadeApp>, label: &str| h.get_by_label(label).rect();
    // Starring the first variant adds the first favourite: the strip does
    // not move under the pointer.
    let before = at(&harness, "Variant 1");
    harness.get_by_label("Favourite variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().favourites().len(), 1);
    assert_eq!(at(&harness, "Variant 1"), before, "the gallery stayed where it was");
    // The wheel (no Shift) scrolls the strip sideways.
    let last = at(&harness, "Variant 12");
    assert!(last.left() > SIZE.x, "variant 12 starts off screen");
    harness.hover_at(before.center());
    for _ in 0..10 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -200.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        harness.run_steps(1);
    }
    settle(&mut harness);
    assert!(at(&harness, "Variant 12").left() < last.left() - 100.0, "the strip scrolled");
    // Variant 12 applied; reopened, the strip shows it.
    harness.get_by_label("Variant 12").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
    drop(harness);
    let harness = new_harness(vec![photo]);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
    let shown = at(&harness, "Variant 12");
    assert!(shown.right() <= SIZE.x + 0.5 && shown.left() >= 0.0, "the applied variant is in view: {shown:?}");
}

#[test]
fn the_applied_variant_stays_applied_through_re_sampling_another_component_and_another_task() {
    use polyshade::fields::Task;
    use polyshade::sampling::Component;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    // The pointer leaves the gallery (hovering a thumbnail previews it).
    harness.remove_cursor();
    settle(&mut harness);
    let applied = viewer_pixels(&harness.render().unwrap());
    assert!(mean_difference(&original, &applied) > 1.0, "the variant changed the photo");
    let edit = |h: &Harness<'static, PolyshadeApp>| {
        let e = h.state().edit().unwrap();
        (e.draw.task, e.draw.seed, e.draw.component, e.variant)
    };
    let chosen = (Task::Resaturate, 0, None, Some(2));
    assert_eq!(edit(&harness), chosen);

    // Re-sample, another component, the other task: new galleries, the
    // same variant applied and on show, no edit recorded.
    for command in [Command::SetSeed(1), Command::SetComponent(Component::Only(0)), Command::SetTask(Task::Relight)] {
        harness.state_mut().handle(command.clone());
        settle(&mut harness);
        assert!(harness.state().gallery().unwrap().variants().is_some(), "{command:?}: a new gallery");
        assert_eq!(harness.state().gallery().unwrap().applied, None, "{command:?}: not one of its variants");
        assert_eq!(edit(&harness), chosen, "{command:?}");
        let drift = mean_difference(&viewer_pixels(&harness.render().unwrap()), &applied);
        assert!(drift < 0.1, "{command:?}: the applied variant is no longer on show ({drift} levels off)");
        harness.get_by_label("Applied: variant 3 of seed 0, all components, Resaturate");
    }
    assert_eq!(polyshade::app::edits::load(&photo, None).unwrap().variant, Some(2));
    // The amount still reaches it, and export writes it.
    harness.state_mut().handle(Command::SetAmount(0.0));
    settle(&mut harness);
    assert!(mean_difference(&original, &viewer_pixels(&harness.render().unwrap())) < 1.0, "amount 0: the photo");
    harness.state_mut().handle(Command::SetAmount(1.0));
    settle(&mut harness);
    let now = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&now, &applied);
    assert!(drift < 0.1, "amount 1 again: the variant as applied ({drift} levels off)");
    // Back on its gallery, it is marked there; Original takes it off.
    for command in [Command::SetTask(Task::Resaturate), Command::SetComponent(Component::All), Command::SetSeed(0)] {
        harness.state_mut().handle(command);
    }
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2));
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert!(harness.state().applied().is_none());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
}

#[test]
fn favourite_variants_outlast_re_sampling_apply_again_and_come_back_with_the_photo() {
    use egui_kittest::kittest::NodeT;
    use polyshade::app::edits::load_sidecar;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let seed = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().request.seed;

    // The star on a thumbnail marks it without applying it.
    harness.get_by_label("Favourite variant 3").click();
    settle(&mut harness);
    assert_eq!(applied(&harness), None, "starring is not applying");
    let sidecar = load_sidecar(&photo, None).expect("starring writes the sidecar");
    let looks: Vec<_> = sidecar.favourites.iter().map(|l| (l.draw.seed, l.variant)).collect();
    assert_eq!((looks, sidecar.edit.variant), (vec![(0, 2)], None));
    assert!(!harness.state().can_undo_redo().0, "a star is no undo step");
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let third = viewer_pixels(&harness.render().unwrap());
    // F stars the applied variant.
    harness.get_by_label("Variant 5").click();
    settle(&mut harness);
    harness.key_press(egui::Key::F);
    settle(&mut harness);
    assert_eq!(harness.state().favourites().len(), 2);

    // A new gallery: the favourites stay, with their thumbnails, and one
    // click draws the favourite's gallery again and applies it.
    harness.key_press(egui::Key::R);
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (1, None));
    let fifth = harness.state().applied().map(|a| (a.request.seed, a.index));
    assert_eq!(fifth, Some((0, 4)), "variant 5 stays applied over the new gallery");
    assert!(harness.state().favourites().iter().all(|f| f.thumbnail.is_some()));
    let star_on = |h: &Harness<'static, PolyshadeApp>| {
        h.get_by_label("Favourite variant 3").accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
    };
    assert!(!star_on(&harness), "a new gallery's variant 3 is another variant");
    harness.get_by_label("Favourite 1").click();
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(2)));
    assert_eq!(viewer_pixels(&harness.render().unwrap()), third, "the same variant, drawn again");
    assert!(star_on(&harness), "its star is on again");
    // Applying a favourite is an edit: undo goes back to variant 5.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(4)));
    drop(harness);

    // Reopened, the photo has its favourites; the context menu removes one.
    let mut harness = new_harness(vec![photo.clone()]);
    let looks: Vec<_> = harness.state().favourites().iter().map(|f| (f.look.draw.seed, f.look.variant)).collect();
    assert_eq!(looks, vec![(0, 2), (0, 4)]);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(4)), "the edit, as undone, came back");
    assert!(
        harness.state().favourites().iter().all(|f| f.thumbnail.is_some()),
        "the favourites' gallery was drawn in the background for their thumbnails"
    );
    harness.get_by_label("Favourite 2").click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Remove from favourites").click();
    settle(&mut harness);
    let looks: Vec<_> = load_sidecar(&photo, None).unwrap().favourites.iter().map(|l| l.variant).collect();
    assert_eq!(looks, vec![2]);
}

#[test]
fn the_grid_layout_shows_all_twelve_variants_at_once() {
    let mut harness = new_harness(vec![sample_copy()]);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE);
    // A variant scrolled out of sight may have no node at all.
    let rects = |h: &Harness<'static, PolyshadeApp>| -> Vec<egui::Rect> {
        (1..=12).filter_map(|i| h.query_by_label(&format!("Variant {i}")).map(|n| n.rect())).collect()
    };
    let strip = rects(&harness);
    let on_screen = strip.iter().filter(|r| window.contains_rect(**r)).count();
    assert!(on_screen < 12, "the strip scrolls: some variants are off screen");
    harness.get_by_label("Grid").click();
    settle(&mut harness);
    let grid = rects(&harness);
    assert_eq!(grid.len(), 12);
    for (i, r) in grid.iter().enumerate() {
        assert!(window.contains_rect(*r), "variant {} at {r:?} is off screen in the grid", i + 1);
    }
    let rows: std::collections::BTreeSet<i32> = grid.iter().map(|r| r.top().round() as i32).collect();
    assert!(rows.len() >= 2, "the grid has rows: {rows:?}");
    assert!(grid[0].height() < strip[0].height(), "grid thumbnails are smaller");
    // A click still applies, and hovering still previews.
    harness.get_by_label("Variant 12").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
}
