//! A RAW's EXIF as the block an export carries, from rawler's reading of
//! the file.

use rawler::RawImage;
use rawler::decoders::RawMetadata;

/// The RAW's EXIF as a block an export carries: camera, lens, exposure,
/// ISO, dates, authorship and GPS, from rawler's reading of the file.
pub(super) fn exif_block(raw: &RawImage, metadata: Option<&RawMetadata>) -> Option<Vec<u8>> {
    use exif::{Field, In, Rational, SRational, Tag, Value};
    let exif_data = metadata.map(|m| &m.exif);
    let ascii = |text: &str| Value::Ascii(vec![text.trim().as_bytes().to_vec()]);
    let rational = |r: &rawler::formats::tiff::Rational| Rational { num: r.n, denom: r.d };
    let srational = |r: &rawler::formats::tiff::SRational| SRational { num: r.n, denom: r.d };
    let mut fields: Vec<Field> = Vec::new();
    // Every tag goes in the primary image's IFDs (kamadak-exif places each
    // in the TIFF, EXIF or GPS directory it belongs to).
    let mut put = |tag: Tag, value: Option<Value>| {
        if let Some(value) = value {
            fields.push(Field { tag, ifd_num: In::PRIMARY, value });
        }
    };
    let short = |v: u16| Value::Short(vec![v]);
    let one = |r: &rawler::formats::tiff::Rational| Value::Rational(vec![rational(r)]);
    let all = |rs: &[rawler::formats::tiff::Rational]| Value::Rational(rs.iter().map(rational).collect());
    let make = metadata.map_or(raw.clean_make.as_str(), |m| m.make.as_str());
    let model = metadata.map_or(raw.clean_model.as_str(), |m| m.model.as_str());
    put(Tag::Make, (!make.trim().is_empty()).then(|| ascii(make)));
    put(Tag::Model, (!model.trim().is_empty()).then(|| ascii(model)));
    if let Some(e) = exif_data {
        put(Tag::Artist, e.artist.as_deref().map(ascii));
        put(Tag::Copyright, e.copyright.as_deref().map(ascii));
        put(Tag::DateTime, e.modify_date.as_deref().map(ascii));
        put(Tag::ExposureTime, e.exposure_time.as_ref().map(one));
        put(Tag::FNumber, e.fnumber.as_ref().map(one));
        put(Tag::ExposureProgram, e.exposure_program.map(short));
        let iso = e.iso_speed_ratings.map(u32::from).or(e.iso_speed).or(e.recommended_exposure_index);
        put(Tag::PhotographicSensitivity, iso.map(|v| Value::Short(vec![v.min(65535) as u16])));
        put(Tag::DateTimeOriginal, e.date_time_original.as_deref().map(ascii));
        put(Tag::DateTimeDigitized, e.create_date.as_deref().map(ascii));
        put(Tag::OffsetTime, e.offset_time.as_deref().map(ascii));
        put(Tag::OffsetTimeOriginal, e.offset_time_original.as_deref().map(ascii));
        put(Tag::SubSecTimeOriginal, e.sub_sec_time_original.as_deref().map(ascii));
        put(Tag::ExposureBiasValue, e.exposure_bias.as_ref().map(|r| Value::SRational(vec![srational(r)])));
        put(Tag::MeteringMode, e.metering_mode.map(short));
        put(Tag::Flash, e.flash.map(short));
        put(Tag::FocalLength, e.focal_length.as_ref().map(one));
        put(Tag::ExposureMode, e.exposure_mode.map(short));
        put(Tag::WhiteBalance, e.white_balance.map(short));
        put(Tag::BodySerialNumber, e.serial_number.as_deref().map(ascii));
        put(Tag::LensMake, e.lens_make.as_deref().map(ascii));
        put(Tag::LensModel, e.lens_model.as_deref().map(ascii));
        put(Tag::LensSerialNumber, e.lens_serial_number.as_deref().map(ascii));
        put(Tag::LensSpecification, e.lens_spec.as_ref().map(|s| all(s.as_slice())));
        if let Some(gps) = &e.gps {
            put(Tag::GPSLatitudeRef, gps.gps_latitude_ref.as_deref().map(ascii));
            put(Tag::GPSLatitude, gps.gps_latitude.as_ref().map(|v| all(v.as_slice())));
            put(Tag::GPSLongitudeRef, gps.gps_longitude_ref.as_deref().map(ascii));
            put(Tag::GPSLongitude, gps.gps_longitude.as_ref().map(|v| all(v.as_slice())));
            put(Tag::GPSAltitudeRef, gps.gps_altitude_ref.map(|v| Value::Byte(vec![v])));
            put(Tag::GPSAltitude, gps.gps_altitude.as_ref().map(one));
        }
    }
    // Empty strings and zero denominators make a block readers refuse.
    fields.retain(|f| match &f.value {
        Value::Ascii(parts) => parts.iter().any(|p| !p.is_empty()),
        Value::Rational(values) => values.iter().all(|r| r.denom != 0),
        Value::SRational(values) => values.iter().all(|r| r.denom != 0),
        _ => true,
    });
    if fields.is_empty() {
        return None;
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    match writer.write(&mut out, false) {
        Ok(()) => Some(out.into_inner()),
        Err(e) => {
            tracing::debug!("the RAW's EXIF could not be written as a block: {e}");
            None
        }
    }
}
