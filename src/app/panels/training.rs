//! The training tab: a photo folder, the task, where to start, epochs and
//! K; start, pause, resume, cancel; progress with ETA and examples/s; the
//! loss curves per term.

use super::super::Command;
use super::super::training::{Stage, StartFrom, TrainSetup, TrainingRun};
use crate::fields::Task;

pub fn training(ui: &mut egui::Ui, setup: &TrainSetup, run: Option<&TrainingRun>, commands: &mut Vec<Command>) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Fine-tune on your photos");
        ui.weak(
            "Polyshade learns your light and palette from a folder of your photos; the model appears in the \
             gallery's model picker when an epoch is done. You can go on editing while it trains.",
        );
        ui.add_space(8.0);
        let running = run.is_some_and(TrainingRun::is_running);
        ui.add_enabled_ui(!running, |ui| setup_form(ui, setup, commands));
        ui.add_space(8.0);
        controls(ui, setup, run, commands);
        if let Some(run) = run {
            ui.add_space(8.0);
            progress(ui, run);
            ui.add_space(8.0);
            closeness_plot(ui, run);
            egui::CollapsingHeader::new("Details: the loss terms").default_open(false).show(ui, |ui| {
                ui.weak(
                    "What the network minimises, term by term (DVAE_c, DVAE_g, MDN, embedding): log-likelihood \
                     terms, so values far below zero are normal.",
                );
                loss_plot(ui, run);
            });
        }
    });
}

fn setup_form(ui: &mut egui::Ui, setup: &TrainSetup, commands: &mut Vec<Command>) {
    let mut edited = setup.clone();
    egui::Grid::new("training setup").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        ui.label("Photos");
        ui.horizontal(|ui| {
            if ui.button("Choose folder…").clicked() {
                commands.push(Command::TrainPickFolder);
            }
            match &setup.folder {
                Some(folder) => {
                    let name =
                        folder.file_name().map_or_else(|| folder.display().to_string(), |n| n.to_string_lossy().into());
                    ui.label(name).on_hover_text(folder.display().to_string())
                }
                None => ui.weak("none yet (or drop a folder on this tab)"),
            };
        });
        ui.end_row();
        ui.label("Task");
        ui.horizontal(|ui| {
            for task in Task::ALL {
                ui.radio_value(&mut edited.task, task, task.label());
            }
        });
        ui.end_row();
        ui.label("Start from");
        ui.horizontal(|ui| {
            ui.radio_value(&mut edited.start, StartFrom::Bundled, "the bundled model (fine-tune)");
            ui.radio_value(&mut edited.start, StartFrom::Scratch, "scratch");
        });
        ui.end_row();
        ui.label("Epochs");
        ui.add(egui::DragValue::new(&mut edited.epochs).range(1..=1000));
        ui.end_row();
        ui.label("Components K");
        ui.add_enabled(edited.start == StartFrom::Scratch, egui::Slider::new(&mut edited.k, 1..=32))
            .on_disabled_hover_text("A fine-tuned model keeps the bundled model's K (12)");
        ui.end_row();
        ui.label("Run on");
        ui.horizontal(|ui| {
            ui.radio_value(&mut edited.run_on.server, false, "this computer");
            ui.radio_value(&mut edited.run_on.server, true, "a Polyshade server at");
            let address =
                egui::TextEdit::singleline(&mut edited.run_on.address).desired_width(220.0).hint_text("ws://host:port");
            ui.add_enabled(edited.run_on.server, address).on_hover_text(
                "A machine running `polyshade serve`: its GPU trains, while your photos, the examples and the \
                 model file stay here. Reach a server in another room through an SSH tunnel \
                 (ssh -N -L 3737:localhost:3737 server) and train on ws://localhost:3737.",
            );
        });
        ui.end_row();
        if let Some(Err(why)) = edited.run_on.server_address() {
            ui.label("");
            ui.colored_label(ui.visuals().error_fg_color, why);
            ui.end_row();
        }
    });
    if edited != *setup {
        commands.push(Command::TrainSetup(edited));
    }
}

fn controls(ui: &mut egui::Ui, setup: &TrainSetup, run: Option<&TrainingRun>, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let running = run.is_some_and(TrainingRun::is_running);
        let bad_address = matches!(setup.run_on.server_address(), Some(Err(_)));
        let start =
            ui.add_enabled(!running && setup.folder.is_some() && !bad_address, egui::Button::new("Start training"));
        let why_not =
            if bad_address { "Give the server's address as ws://host:port" } else { "Choose a folder of photos first" };
        if start.on_disabled_hover_text(why_not).clicked() {
            commands.push(Command::TrainStart);
        }
        if let Some(run) = run.filter(|r| r.is_running()) {
            let paused = run.is_paused();
            if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
                commands.push(Command::TrainPause(!paused));
            }
            if ui.button("Cancel").on_hover_text("Stop; the last finished epoch is kept").clicked() {
                commands.push(Command::TrainCancel);
            }
        }
    });
}

fn progress(ui: &mut egui::Ui, run: &TrainingRun) {
    match &run.stage {
        Stage::Preparing { what, fraction } => {
            ui.horizontal(|ui| {
                match fraction {
                    Some(f) => ui.add(egui::ProgressBar::new(*f).desired_width(320.0).show_percentage()),
                    None => ui.spinner(),
                };
                ui.label(what);
            });
        }
        Stage::Training => {
            let eta = run.eta().map_or_else(|| "…".to_owned(), format_duration);
            let text = format!(
                "Epoch {} of {} · {} photos · {} left{}",
                run.epoch + 1,
                run.setup.epochs,
                run.photos - run.held_out,
                eta,
                run.pause_text().map(|p| format!(" · {p}")).unwrap_or_default()
            );
            let place = match run.setup.run_on.server_address() {
                Some(Ok(address)) => format!(" on the Polyshade server at {address}"),
                _ => String::new(),
            };
            let details = format!(
                "step {} of {} · {:.0} examples/s (crops of your photos, each mirrored){place}",
                run.step, run.total_steps, run.examples_per_s
            );
            ui.add(egui::ProgressBar::new(run.fraction()).text(text)).on_hover_text(details);
        }
        Stage::Finished => {
            let name = run.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ui.label(format!("Finished: {name}, now in the gallery's model picker (Edit tab)"))
                .on_hover_text(run.out.display().to_string());
        }
        Stage::Cancelled => {
            let kept = match run.epochs_done {
                0 => "no epoch finished, nothing kept".to_owned(),
                n => format!("the model after epoch {n} is kept; start again to resume"),
            };
            ui.label(format!("Cancelled: {kept}"));
        }
        Stage::Failed(message) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Training failed: {message}"));
        }
    }
    if run.held_out > 0 && !matches!(run.stage, Stage::Preparing { .. } | Stage::Failed(_)) {
        ui.label(format!(
            "{} on {} of {} photos; {} kept aside to tune how far the variants spread",
            if run.is_running() { "Training" } else { "Trained" },
            run.photos - run.held_out,
            run.photos,
            run.held_out
        ))
        .on_hover_text(format!(
            "Every {}th photo: after each epoch the spread of the variants is fitted to photos the model has not learnt from",
            crate::train::HOLD_OUT_EVERY
        ));
    }
}

/// The headline: after each epoch, how close the model's variants come to
/// the photos kept aside (best of n, lower is closer).
fn closeness_plot(ui: &mut egui::Ui, run: &TrainingRun) {
    ui.strong("How close the variants come to your photos");
    if run.held_out == 0 {
        ui.weak(format!(
            "With {} photos or more, some are kept aside and this shows, after each epoch, how close the \
             model's variants come to photos it has not learnt from.",
            crate::train::HOLD_OUT_EVERY
        ));
        return;
    }
    let Some(&(_, last)) = run.closeness.last() else {
        ui.weak("After the first epoch: how close the best of the variants comes to photos kept aside.");
        return;
    };
    let first = run.closeness.first().map_or(last, |&(_, v)| v);
    let trend =
        if last < first { "closer than after the first epoch" } else { "no closer yet than after the first epoch" };
    ui.label(format!(
        "Error of the best of {} variants: {last:.4} ({trend}; lower is closer)",
        crate::train::HELD_OUT_DRAWS
    ));
    let points: Vec<[f64; 2]> = run.closeness.iter().map(|&(epoch, v)| [epoch as f64, v]).collect();
    egui_plot::Plot::new("closeness")
        .height(140.0)
        .x_axis_label("epoch")
        .y_axis_label("best-of-n error")
        // Errors are a few thousandths and move by less: the axis spans
        // the curve (not from 0, where it would be one flat line) with
        // four decimals, not egui_plot's one.
        .y_axis_formatter(|mark, _| format!("{:.4}", mark.value))
        .y_axis_min_width(48.0)
        .include_x(0.0)
        .include_x(run.setup.epochs as f64)
        .show(ui, |plot| {
            plot.line(egui_plot::Line::new("held-out photos", points.clone()));
            plot.points(egui_plot::Points::new("held-out photos", points).radius(3.0));
        });
}

/// Each loss term over the steps (the total too), as egui_plot lines.
fn loss_plot(ui: &mut egui::Ui, run: &TrainingRun) {
    let Some((_, last)) = run.history.last() else { return };
    let names: Vec<&'static str> = last.terms.iter().map(|(n, _)| *n).collect();
    egui_plot::Plot::new("loss curves")
        .height(ui.available_height().max(160.0))
        .legend(egui_plot::Legend::default())
        .x_axis_label("step")
        // The whole run's steps: the curves grow across the plot.
        .include_x(0.0)
        .include_x(run.total_steps as f64)
        .y_axis_label("loss")
        .show(ui, |plot| {
            let total: Vec<[f64; 2]> = run.history.iter().map(|(s, l)| [*s as f64, f64::from(l.total)]).collect();
            plot.line(egui_plot::Line::new("total", total));
            for name in names {
                let points: Vec<[f64; 2]> =
                    run.history.iter().filter_map(|(s, l)| Some([*s as f64, f64::from(l.term(name)?)])).collect();
                plot.line(egui_plot::Line::new(name, points));
            }
        });
}

fn format_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
