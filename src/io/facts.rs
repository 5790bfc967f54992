//! What a photographer reads about a photo besides its pixels: camera,
//! lens, exposure, ISO and date from its EXIF (read with `kamadak-exif`),
//! and its colour profile: its name (the ICC `desc` tag) and whether it was
//! honoured.

use super::PhotoInfo;

/// The photo's facts, each a label and its value, in the order a
/// photographer reads them; only those the file has.
pub fn photo_facts(info: &PhotoInfo) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(exif) = info.exif.as_ref().and_then(|raw| exif::Reader::new().read_raw(raw.clone()).ok()) {
        let text = |tag| {
            let field = exif.get_field(tag, exif::In::PRIMARY)?;
            let value = match &field.value {
                exif::Value::Ascii(parts) => {
                    parts.iter().map(|p| String::from_utf8_lossy(p).trim().to_owned()).collect::<Vec<_>>().join(" ")
                }
                _ => field.display_value().with_unit(&exif).to_string(),
            };
            let value = value.trim().trim_matches('"').trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        let camera = match (text(exif::Tag::Make), text(exif::Tag::Model)) {
            // "Canon" + "Canon EOS R5" reads as "Canon EOS R5".
            (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => Some(model),
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => make.or(model),
        };
        let exposure = [text(exif::Tag::ExposureTime), text(exif::Tag::FNumber), text(exif::Tag::FocalLength)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        let rows = [
            ("Camera", camera),
            ("Lens", text(exif::Tag::LensModel)),
            ("Exposure", (!exposure.is_empty()).then(|| exposure.join(", "))),
            ("ISO", text(exif::Tag::PhotographicSensitivity)),
            ("Date", text(exif::Tag::DateTimeOriginal).or_else(|| text(exif::Tag::DateTime))),
        ];
        facts.extend(rows.into_iter().filter_map(|(label, value)| Some((label, value?))));
    }
    facts.push(("Profile", info.colour.describe()));
    #[cfg(feature = "raw")]
    if let super::colour::ProfileUse::Developed { tone } = &info.colour {
        facts.push(("Develop", tone.describe()));
    }
    facts
}

/// The profile's name from its `desc` tag: ICC v2's `desc` type (ASCII) or
/// v4's `mluc` (UTF-16BE, the first record).
pub fn icc_description(icc: &[u8]) -> Option<String> {
    let u32_at = |at: usize| Some(u32::from_be_bytes(icc.get(at..at + 4)?.try_into().ok()?) as usize);
    let count = u32_at(128)?.min(1000);
    let (offset, size) = (0..count).find_map(|i| {
        let entry = 132 + 12 * i;
        (icc.get(entry..entry + 4)? == b"desc").then(|| Some((u32_at(entry + 4)?, u32_at(entry + 8)?)))?
    })?;
    let tag = icc.get(offset..offset.checked_add(size)?)?;
    let text = match tag.get(0..4)? {
        b"desc" => {
            let length = u32::from_be_bytes(tag.get(8..12)?.try_into().ok()?) as usize;
            let ascii = tag.get(12..12 + length.min(tag.len().saturating_sub(12)))?;
            String::from_utf8_lossy(ascii).trim_end_matches('\0').to_owned()
        }
        b"mluc" => {
            let record_size = u32::from_be_bytes(tag.get(12..16)?.try_into().ok()?) as usize;
            if record_size < 12 {
                return None;
            }
            let length = u32::from_be_bytes(tag.get(20..24)?.try_into().ok()?) as usize;
            let start = u32::from_be_bytes(tag.get(24..28)?.try_into().ok()?) as usize;
            let utf16: Vec<u16> = tag
                .get(start..start.checked_add(length)?)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&utf16).trim_end_matches('\0').to_owned()
        }
        _ => return None,
    };
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ICC profile holding only a `desc` tag of `tag`.
    fn profile_with(tag: &[u8]) -> Vec<u8> {
        let mut icc = vec![0u8; 128];
        icc.extend(1u32.to_be_bytes());
        icc.extend(b"desc");
        icc.extend(144u32.to_be_bytes());
        icc.extend((tag.len() as u32).to_be_bytes());
        icc.extend(tag);
        icc
    }

    #[test]
    fn profile_names_read_from_v2_and_v4_desc_tags() {
        let mut v2 = b"desc\0\0\0\0".to_vec();
        v2.extend(10u32.to_be_bytes());
        v2.extend(b"Adobe RGB\0");
        assert_eq!(icc_description(&profile_with(&v2)).as_deref(), Some("Adobe RGB"));
        let name: Vec<u8> = "Display P3".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut v4 = b"mluc\0\0\0\0".to_vec();
        v4.extend(1u32.to_be_bytes());
        v4.extend(12u32.to_be_bytes());
        v4.extend(b"enUS");
        v4.extend((name.len() as u32).to_be_bytes());
        v4.extend(28u32.to_be_bytes());
        v4.extend(&name);
        assert_eq!(icc_description(&profile_with(&v4)).as_deref(), Some("Display P3"));
        // Cut short or nonsense: no name, no panic.
        assert_eq!(icc_description(&profile_with(&v4)[..150]), None);
        assert_eq!(icc_description(b"not a profile"), None);
    }
}
