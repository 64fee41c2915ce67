//! Image input tokens, by the providers' published formulas, and image sizes
//! read from `data:` URLs (PNG, GIF, JPEG, WebP headers).
//!
//! The formulas are documented but providers do not always bill by them
//! (OpenAI's own calculator and bills have disagreed), so an image is always
//! an *estimate*: `tokens` by the formula, `low`..`high` the range the
//! model could bill for it (low detail up to the formula's maximum when the
//! size is unknown).

use super::Range;

/// How a provider turns an image into tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageRule {
    /// OpenAI tile models: fit in 2048×2048, shortest side down to 768, 512 px
    /// tiles; `base + tile × tiles`; `detail: low` is `base`.
    /// Source: OpenAI, "Images and vision — calculating costs".
    Tiles { base: u64, tile: u64 },
    /// OpenAI patch models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): 32 px
    /// patches, at most 1536 (scaled down to fit), × a per-model multiplier
    /// (in thousandths). Source: the same page.
    Patches { multiplier_milli: u64 },
    /// Anthropic: `width × height / 750` after scaling the long edge to at
    /// most 1568 px; about 1,600 tokens at most. Source: Anthropic, "Vision".
    Anthropic,
    /// Gemini: 258 tokens when both sides are ≤ 384 px, else 258 per 768×768
    /// tile. Source: Google, "Gemini API — image understanding, token counting".
    Gemini,
}

impl ImageRule {
    /// The rule for a model id (lower case), `None` when the family is unknown.
    pub(crate) fn for_model(id: &str) -> Option<ImageRule> {
        let name = id.rsplit(['/', '.']).next().unwrap_or(id);
        let has = |p: &str| id.contains(p);
        Some(if has("claude") {
            ImageRule::Anthropic
        } else if has("gemini") {
            ImageRule::Gemini
        } else if has("gpt-4.1-mini") || has("gpt-5-mini") {
            ImageRule::Patches { multiplier_milli: 1620 }
        } else if has("gpt-4.1-nano") || has("gpt-5-nano") {
            ImageRule::Patches { multiplier_milli: 2460 }
        } else if has("o4-mini") {
            ImageRule::Patches { multiplier_milli: 1720 }
        } else if has("gpt-4o-mini") {
            ImageRule::Tiles { base: 2833, tile: 5667 }
        } else if name.starts_with("o1") || name.starts_with("o3") {
            ImageRule::Tiles { base: 75, tile: 150 }
        } else if has("gpt-5") {
            ImageRule::Tiles { base: 70, tile: 140 }
        } else if has("gpt-4") || has("chatgpt-4o") {
            ImageRule::Tiles { base: 85, tile: 170 }
        } else {
            return None;
        })
    }

    /// Tokens for one image of `size` (unknown: `None`) at `low_detail`.
    pub(crate) fn tokens(self, size: Option<(u64, u64)>, low_detail: bool) -> Range {
        let extremes = self.extremes();
        match (size, low_detail) {
            (_, true) if matches!(self, ImageRule::Tiles { .. }) => {
                let ImageRule::Tiles { base, .. } = self else { unreachable!() };
                Range::estimate(base, base, base)
            }
            (Some((w, h)), _) => {
                let t = self.formula(w, h);
                Range::estimate(t, extremes.low.min(t), extremes.high.max(t))
            }
            (None, _) => extremes,
        }
    }

    /// The smallest and largest count the rule gives for any size.
    fn extremes(self) -> Range {
        match self {
            // The most tiles after fitting: 768 × 2048 → 2 × 4.
            ImageRule::Tiles { base, tile } => Range::estimate(base + 4 * tile, base + tile, base + 8 * tile),
            ImageRule::Patches { multiplier_milli } => {
                let t = |patches: u64| (patches * multiplier_milli).div_ceil(1000);
                Range::estimate(t(1024), t(1), t(1536))
            }
            ImageRule::Anthropic => Range::estimate(1600, 1, 1600),
            ImageRule::Gemini => Range::estimate(258, 258, 258 * 16),
        }
    }

    fn formula(self, w: u64, h: u64) -> u64 {
        let (w, h) = (w.max(1), h.max(1));
        match self {
            ImageRule::Tiles { base, tile } => {
                let (mut w, mut h) = (w, h);
                if w > 2048 || h > 2048 {
                    let long = w.max(h);
                    (w, h) = (w * 2048 / long, h * 2048 / long);
                }
                let short = w.min(h).max(1);
                if short > 768 {
                    (w, h) = (w * 768 / short, h * 768 / short);
                }
                base + tile * w.div_ceil(512) * h.div_ceil(512)
            }
            ImageRule::Patches { multiplier_milli } => {
                let mut patches = w.div_ceil(32) * h.div_ceil(32);
                if patches > 1536 {
                    // Scale so that the patch grid fits in 1536, as the docs' worked example does.
                    let (mut sw, mut sh) = (w, h);
                    while sw.div_ceil(32) * sh.div_ceil(32) > 1536 {
                        sw = sw * 99 / 100;
                        sh = sh * 99 / 100;
                    }
                    patches = sw.div_ceil(32) * sh.div_ceil(32);
                }
                (patches * multiplier_milli).div_ceil(1000)
            }
            ImageRule::Anthropic => {
                let (mut w, mut h) = (w, h);
                let long = w.max(h);
                if long > 1568 {
                    (w, h) = (w * 1568 / long, h * 1568 / long);
                }
                (w * h).div_ceil(750).min(1600)
            }
            ImageRule::Gemini => {
                if w <= 384 && h <= 384 {
                    258
                } else {
                    258 * w.div_ceil(768) * h.div_ceil(768)
                }
            }
        }
    }
}

/// Width and height of an image in a `data:image/…;base64,` URL, from its header.
pub(crate) fn data_url_size(url: &str) -> Option<(u64, u64)> {
    let b64 = url.strip_prefix("data:")?.split_once(";base64,")?.1;
    // JPEG's size marker can follow large metadata: read up to 256 KiB.
    let head = decode_base64_prefix(b64, 256 * 1024);
    image_size(&head)
}

/// Width and height of a base64-encoded image (Anthropic's `source.data`,
/// Gemini's `inlineData.data`), from its header. Decodes at most 256 KiB and
/// never slices the text, so any string is safe (a multi-byte character
/// only ends the decoding).
pub(crate) fn base64_image_size(data: &str) -> Option<(u64, u64)> {
    image_size(&decode_base64_prefix(data, 256 * 1024))
}

fn image_size(b: &[u8]) -> Option<(u64, u64)> {
    let be16 = |i: usize| Some(u64::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let be32 =
        |i: usize| Some(u64::from(u32::from_be_bytes([*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, *b.get(i + 3)?])));
    let le16 = |i: usize| Some(u64::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])));
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF8") {
        return Some((le16(6)?, le16(8)?));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        let le24 =
            |i: usize| Some(u64::from(*b.get(i)?) | u64::from(*b.get(i + 1)?) << 8 | u64::from(*b.get(i + 2)?) << 16);
        return match b.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8L" => {
                let bits = u32::from_le_bytes([*b.get(21)?, *b.get(22)?, *b.get(23)?, *b.get(24)?]);
                Some((u64::from(bits & 0x3FFF) + 1, u64::from((bits >> 14) & 0x3FFF) + 1))
            }
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            _ => None,
        };
    }
    if b.starts_with(&[0xFF, 0xD8]) {
        // Walk the JPEG segments to a start-of-frame marker.
        let mut i = 2;
        while i + 9 < b.len() {
            if b[i] != 0xFF {
                return None;
            }
            let marker = b[i + 1];
            if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                return Some((be16(i + 7)?, be16(i + 5)?));
            }
            i += 2 + usize::try_from(be16(i + 2)?).ok()?;
        }
    }
    None
}

/// Decodes up to `max` bytes of standard or URL-safe base64 (stops at the first invalid character).
fn decode_base64_prefix(s: &str, max: usize) -> alloc::vec::Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let mut out = alloc::vec::Vec::with_capacity(max.min(s.len()));
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let Some(v) = value(c) else { break };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            if out.len() >= max {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_documented_examples() {
        let gpt4o = ImageRule::Tiles { base: 85, tile: 170 };
        assert_eq!(gpt4o.formula(1024, 1024), 765);
        assert_eq!(gpt4o.formula(2048, 4096), 1105);
        assert_eq!(gpt4o.tokens(Some((4096, 8192)), true).tokens, 85);
        let mini = ImageRule::Patches { multiplier_milli: 1000 };
        assert_eq!(mini.formula(1024, 1024), 1024);
        assert!(mini.formula(1800, 2400) <= 1536);
    }

    #[test]
    fn anthropic_and_gemini() {
        assert_eq!(ImageRule::Anthropic.formula(1000, 1000), 1334);
        assert_eq!(ImageRule::Anthropic.formula(200, 200), 54);
        assert_eq!(ImageRule::Anthropic.formula(5000, 5000), 1600);
        assert_eq!(ImageRule::Gemini.formula(300, 300), 258);
        assert_eq!(ImageRule::Gemini.formula(1000, 1000), 258 * 4);
    }

    #[test]
    fn sizes_from_data_urls() {
        // A 3×2 PNG header (signature, IHDR) is enough.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0";
        let url = alloc::format!("data:image/png;base64,{}", encode(png));
        assert_eq!(data_url_size(&url), Some((3, 2)));
        let gif = b"GIF89a\x05\x00\x07\x00";
        assert_eq!(data_url_size(&alloc::format!("data:image/gif;base64,{}", encode(gif))), Some((5, 7)));
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 3, 0, 0];
        assert_eq!(data_url_size(&alloc::format!("data:image/jpeg;base64,{}", encode(&jpeg))), Some((30, 20)));
        assert_eq!(data_url_size("data:image/png;base64,!!!"), None);
        assert_eq!(data_url_size("https://example.com/cat.png"), None);
        assert_eq!(base64_image_size(&encode(png)), Some((3, 2)));
        // Regression: a multi-byte character where the old code cut the text at a byte offset.
        let hostile = alloc::format!("{}é", "A".repeat(359_999));
        assert_eq!(base64_image_size(&hostile), None);
        assert_eq!(data_url_size(&alloc::format!("data:image/png;base64,{hostile}")), None);
    }

    fn encode(bytes: &[u8]) -> alloc::string::String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = alloc::string::String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        s
    }
}
