//! The PNG's text, laid out properly. plotters 0.3.7's ab_glyph path draws
//! each glyph from its own bounding box, dropping the side bearing and the
//! baseline: a period floats at mid-height (`1·5`) and letters drift apart.
//! This backend wraps the bitmap backend and draws text itself with
//! ab_glyph, every glyph on one baseline at its advance plus kerning; all
//! other drawing is passed through.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

/// A bitmap backend whose text is drawn with `font`.
pub struct Crisp<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Crisp<'a> {
    /// Wraps `inner`.
    pub fn new(inner: BitMapBackend<'a>, font: FontRef<'static>) -> Self {
        Crisp { inner, font }
    }

    /// Width, ascent and descent (negative) of `text` at `size`, pixels.
    fn measure(&self, text: &str, size: f64) -> (f32, f32, f32) {
        let f = self.font.as_scaled(PxScale::from(size as f32));
        let mut width = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                width += f.kern(p, id);
            }
            width += f.h_advance(id);
            prev = Some(id);
        }
        (width, f.ascent(), f.descent())
    }
}

type Result<T> =
    std::result::Result<T, DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

impl DrawingBackend for Crisp<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<()> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<()> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<()> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<()> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<()> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<()> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<()> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<()> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<()> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32)> {
        let (w, ascent, descent) = self.measure(text, style.size());
        Ok((
            w.ceil().max(0.0) as u32,
            (ascent - descent).ceil().max(0.0) as u32,
        ))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<()> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // Rotated text (not used by reports) keeps plotters' drawing.
        if !matches!(style.transform(), FontTransform::None) {
            return self.inner.draw_text(text, style, pos);
        }
        let size = style.size();
        let (width, ascent, descent) = self.measure(text, size);
        let left = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // The baseline: the text's box (ascent to descent) anchored at pos.
        let baseline = match style.anchor().v_pos {
            VPos::Top => ascent,
            VPos::Center => (ascent + descent) / 2.0,
            VPos::Bottom => descent,
        };
        let origin = (pos.0 as f32 + left, pos.1 as f32 + baseline);
        let f = self.font.as_scaled(PxScale::from(size as f32));
        let (w, h) = self.inner.get_size();
        let mut caret = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                caret += f.kern(p, id);
            }
            let glyph = id.with_scale_and_position(f.scale(), point(origin.0 + caret, origin.1));
            caret += f.h_advance(id);
            prev = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|x, y, coverage| pixels.push((x, y, coverage)));
            for (x, y, coverage) in pixels {
                let px = b.min.x as i32 + x as i32;
                let py = b.min.y as i32 + y as i32;
                if coverage <= 0.0 || px < 0 || py < 0 || px >= w as i32 || py >= h as i32 {
                    continue;
                }
                let c = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((px, py), c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the ink of `text` drawn at `size` px ends, per glyph (columns
    /// with ink grouped): the lowest dark row of each.
    fn glyph_bottoms(text: &str, size: u32, y: i32) -> Vec<u32> {
        let (w, h) = (200u32, 60u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let font = FontRef::try_from_slice(crate::FONT).unwrap();
            let root =
                Crisp::new(BitMapBackend::with_buffer(&mut buf, (w, h)), font).into_drawing_area();
            let style = TextStyle::from(("sans-serif", size).into_font()).pos(
                plotters::style::text_anchor::Pos::new(HPos::Right, VPos::Center),
            );
            root.draw_text(text, &style, (150, y)).unwrap();
            root.present().unwrap();
        }
        let dark = |x: u32, y: u32| buf[((y * w + x) * 3) as usize] < 160;
        let ink: Vec<u32> = (0..w).filter(|&x| (0..h).any(|y| dark(x, y))).collect();
        let mut glyphs: Vec<Vec<u32>> = Vec::new();
        for x in ink {
            match glyphs.last_mut() {
                Some(g) if g.last() == Some(&(x - 1)) => g.push(x),
                _ => glyphs.push(vec![x]),
            }
        }
        glyphs
            .iter()
            .map(|g| {
                g.iter()
                    .flat_map(|&x| (0..h).filter(move |&y| dark(x, y)))
                    .max()
                    .unwrap()
            })
            .collect()
    }

    /// `1.1` as an axis label (right-aligned, centred): the period sits on
    /// the digits' baseline at every size and position (plotters' own
    /// ab_glyph path places each glyph by its rounded bounding box, which
    /// lifts a period by a pixel at label sizes: `1·1`).
    #[test]
    fn glyphs_share_one_baseline() {
        for size in [10, 11, 12, 13, 14, 20] {
            for y in [20, 21, 30] {
                let b = glyph_bottoms("1.1", size, y);
                assert_eq!(b.len(), 3, "{size} px at {y}: {b:?}");
                assert!(b[0] == b[1] && b[1] == b[2], "{size} px at {y}: {b:?}");
            }
        }
    }
}
