//! Models: where the model runs, and model files in place of the bundled ones.

use egui_kittest::kittest::Queryable;
use polyshade::app::{AppOptions, ModelDevice};

use crate::support::*;

#[test]
fn the_model_runs_on_the_viewers_own_device_and_samples_as_on_the_cpu() {
    let gallery = |model_device| {
        let harness = new_harness_with(vec![sample_copy()], model_device);
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        let description = harness.state().model_device().to_owned();
        let variants = harness.state().gallery().and_then(|g| g.variants()).expect("a gallery");
        (description, variants.fields.clone(), variants.components.clone())
    };
    // lavapipe is a software adapter: by default the model runs on flex.
    let (cpu, cpu_fields, cpu_components) = gallery(ModelDevice::Auto);
    assert!(cpu.starts_with("CPU (flex; ") && cpu.contains("software adapter"), "{cpu}");
    // Asked for, burn runs on the very device eframe created for the window.
    let (gpu, gpu_fields, gpu_components) = gallery(ModelDevice::Gpu);
    assert!(gpu.starts_with("GPU (") && gpu.ends_with("shared with the viewer)"), "{gpu}");
    // The same seed draws the same variants on either device.
    assert_eq!(cpu_components, gpu_components);
    let worst = cpu_fields
        .iter()
        .zip(&gpu_fields)
        .flat_map(|(a, b)| a.data().iter().zip(b.data()).map(|(x, y)| (x - y).abs()))
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "CPU and GPU galleries differ by up to {worst}");
}

#[test]
fn model_files_replace_the_bundled_ones_and_a_broken_one_is_a_message() {
    use polyshade::fields::Task;
    let dir = tempfile::tempdir().unwrap();
    // A model file as `polyshade train` writes it (here: the bundled relight
    // model's bytes), and a damaged one.
    let good = dir.path().join("mine.psm");
    std::fs::write(&good, polyshade::model::bundled::bytes(Task::Relight)).unwrap();
    let broken = dir.path().join("broken.psm");
    let mut bytes = polyshade::model::bundled::bytes(Task::Resaturate).to_vec();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&broken, bytes).unwrap();
    let options = AppOptions {
        photos: vec![sample_copy()],
        model_device: ModelDevice::Auto,
        models: vec![broken.clone(), good],
        data_dir: None,
        train_folder: None,
    };
    let mut harness = harness_for(options);
    let errors = harness.state().errors().to_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("broken.psm"), "{}", errors[0]);
    // The bundled resaturation model goes on; the relight gallery uses the file.
    assert_eq!(harness.state().model_name(Task::Resaturate), "bundled resaturate model");
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some());
    assert!(harness.state().model_name(Task::Relight).starts_with("mine.psm (cdvae_k12"));
    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());
}
