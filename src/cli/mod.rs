//! The command line: `polyshade [PHOTO…]` opens the app; subcommands do the
//! same work headless.

mod fields;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "polyshade", version, about = "Explore many plausible re-saturations and re-lightings of a photo")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
    /// Photos to open in the app (default: the bundled sample photo).
    pub photos: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Write the condition (V) and generated (S) fields of a photo as 16-bit
    /// PNGs, at full resolution and at the network's 32×32.
    Fields(fields::FieldsArgs),
}

/// Runs a subcommand. Errors come back to `main`, which prints them once.
pub fn run(command: Commands) -> anyhow::Result<()> {
    match command {
        Commands::Fields(args) => fields::run(&args),
    }
}
