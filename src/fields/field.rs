use image::{GrayImage, ImageBuffer, Luma};

/// A single-channel `f32` image, row-major, nominally in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    width: u32,
    height: u32,
    data: Vec<f32>,
}

impl Field {
    /// # Panics
    /// If `data.len() != width * height` (a bug in the caller).
    pub fn new(width: u32, height: u32, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), width as usize * height as usize, "field data does not match {width}×{height}");
        Field { width, height, data }
    }

    pub fn filled(width: u32, height: u32, value: f32) -> Self {
        Field::new(width, height, vec![value; width as usize * height as usize])
    }

    pub fn from_fn(width: u32, height: u32, f: impl Fn(u32, u32) -> f32) -> Self {
        let data = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| f(x, y));
        Field::new(width, height, data.collect())
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    pub fn get(&self, x: u32, y: u32) -> f32 {
        self.data[y as usize * self.width as usize + x as usize]
    }

    /// An 8-bit grey image, values clamped to [0, 1] and rounded.
    pub fn to_gray8(&self) -> GrayImage {
        let pixels = self.data.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
        GrayImage::from_raw(self.width, self.height, pixels.collect()).expect("length checked at construction")
    }

    /// A 16-bit grey image, for inspecting fields without banding.
    pub fn to_gray16(&self) -> ImageBuffer<Luma<u16>, Vec<u16>> {
        let pixels = self.data.iter().map(|&v| (v.clamp(0.0, 1.0) * 65535.0).round() as u16);
        ImageBuffer::from_raw(self.width, self.height, pixels.collect()).expect("length checked at construction")
    }
}
