//! An issued invoice or credit note as a one-page A4 PDF (seed 001 "PDF download"), written
//! with pdf-writer in the standard Helvetica, so no font is embedded. Text is encoded as
//! WinAnsi (Latin-1 and the euro sign): a character outside it prints as `?`, which is
//! said in docs/billing.md. The PDF is drawn from the stored document alone, so the same
//! invoice always renders the same.

use super::invoices::Document;
use super::profile::Party;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

pub(crate) const A4: (f32, f32) = (595.0, 842.0);
pub(crate) const MARGIN: f32 = 56.0;
pub(crate) const REGULAR: Name<'static> = Name(b"F1");
pub(crate) const BOLD: Name<'static> = Name(b"F2");
/// Where the right-aligned columns end: quantity, net, rate, VAT.
pub(crate) const COLUMNS: [f32; 4] = [300.0, 390.0, 460.0, A4.0 - MARGIN];
/// Characters per line of the note before it wraps.
pub(crate) const NOTE_WIDTH: usize = 95;

pub fn render(doc: &Document) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, page, regular, bold, content, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
    );
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
        .parent(tree)
        .contents(content);
    p.resources()
        .fonts()
        .pair(REGULAR, regular)
        .pair(BOLD, bold);
    p.finish();
    for (id, name) in [(regular, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&doc.number))
        .producer(TextStr("drawdown"));
    pdf.stream(content, &page_content(doc).finish());
    pdf.finish()
}

pub(crate) struct Writer {
    pub(crate) c: Content,
}

impl Writer {
    fn text(&mut self, font: Name, size: f32, x: f32, y: f32, s: &str) {
        self.c.begin_text();
        self.c.set_font(font, size);
        self.c.next_line(x, y);
        self.c.show(Str(&win_ansi(s)));
        self.c.end_text();
    }
    /// Text whose right edge is at `right`.
    fn right(&mut self, font: Name, size: f32, right: f32, y: f32, s: &str) {
        let bold = font == BOLD;
        self.text(font, size, right - width(s, size, bold), y, s);
    }
    fn rule(&mut self, y: f32) {
        self.c.set_line_width(0.5);
        self.c.move_to(MARGIN, y);
        self.c.line_to(A4.0 - MARGIN, y);
        self.c.stroke();
    }
}

pub(crate) fn page_content(doc: &Document) -> Content {
    let mut w = Writer { c: Content::new() };
    let top = A4.1 - MARGIN;
    let title = if doc.kind == "credit_note" {
        "CREDIT NOTE"
    } else {
        "INVOICE"
    };
    w.text(BOLD, 20.0, MARGIN, top - 10.0, title);
    let mut facts = vec![
        format!("Number: {}", doc.number),
        format!(
            "Issue date: {}",
            doc.issued_at.get(..10).unwrap_or(&doc.issued_at)
        ),
        format!("Payment: {}", doc.payment_id),
    ];
    if let Some(r) = &doc.refers_to {
        facts.push(format!("Refers to invoice: {r}"));
    }
    for (i, f) in facts.iter().enumerate() {
        w.right(
            REGULAR,
            10.0,
            A4.0 - MARGIN,
            top - 10.0 - 14.0 * i as f32,
            f,
        );
    }
    let y = top - 90.0;
    let seller_end = party(&mut w, "From", &doc.seller, MARGIN, y);
    let customer_end = party(&mut w, "Bill to", &doc.customer, 320.0, y);
    let y = seller_end.min(customer_end) - 20.0;
    let y = lines(&mut w, doc, y);
    let y = totals(&mut w, doc, y - 10.0);
    let mut y = y - 24.0;
    for line in wrap(&doc.note, NOTE_WIDTH) {
        w.text(REGULAR, 9.0, MARGIN, y, &line);
        y -= 12.0;
    }
    w.text(
        REGULAR,
        8.0,
        MARGIN,
        MARGIN - 20.0,
        "Amounts in the currency shown; VAT is rounded once per invoice and rate.",
    );
    w.c
}

/// A party's block; returns the baseline below it.
pub(crate) fn party(w: &mut Writer, heading: &str, p: &Party, x: f32, mut y: f32) -> f32 {
    w.text(BOLD, 10.0, x, y, heading);
    y -= 14.0;
    let mut rows: Vec<String> = vec![p.name.clone()];
    rows.extend(p.address.iter().cloned());
    rows.extend(p.country.iter().cloned());
    rows.extend(p.vat_id.iter().map(|v| format!("VAT ID: {v}")));
    for r in rows {
        w.text(REGULAR, 10.0, x, y, &r);
        y -= 13.0;
    }
    y
}

pub(crate) fn lines(w: &mut Writer, doc: &Document, mut y: f32) -> f32 {
    let heads = ["Quantity", "Net", "VAT rate", "VAT"];
    w.text(BOLD, 10.0, MARGIN, y, "Description");
    for (h, right) in heads.iter().zip(COLUMNS) {
        w.right(BOLD, 10.0, right, y, h);
    }
    w.rule(y - 5.0);
    y -= 20.0;
    for l in &doc.lines {
        w.text(REGULAR, 10.0, MARGIN, y, &l.description);
        let cells = [
            l.quantity.clone(),
            l.net.clone(),
            format!("{}%", l.tax_rate),
            l.tax.clone(),
        ];
        for (cell, right) in cells.iter().zip(COLUMNS) {
            w.right(REGULAR, 10.0, right, y, cell);
        }
        y -= 16.0;
    }
    w.rule(y + 8.0);
    y
}

pub(crate) fn totals(w: &mut Writer, doc: &Document, mut y: f32) -> f32 {
    let rate = doc
        .lines
        .first()
        .map(|l| l.tax_rate.as_str())
        .unwrap_or("0");
    let rows = [
        ("Net", &doc.net, REGULAR),
        (&*format!("VAT {rate}%"), &doc.tax, REGULAR),
        ("Total", &doc.gross, BOLD),
    ];
    for (label, amount, font) in rows {
        w.text(font, 11.0, 380.0, y, label);
        w.right(
            font,
            11.0,
            A4.0 - MARGIN,
            y,
            &format!("{amount} {}", doc.currency),
        );
        y -= 16.0;
    }
    y
}

/// Words into lines of at most `width` characters.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in text.split_whitespace() {
        let last = out.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            out.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    out
}

/// Windows-1252 bytes, which the standard fonts' WinAnsiEncoding reads.
pub(crate) fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'Š' => 0x8a,
            'š' => 0x9a,
            'Ž' => 0x8e,
            'ž' => 0x9e,
            'Œ' => 0x8c,
            'œ' => 0x9c,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (per 1000 em, from its AFM) for right alignment; a character
/// not listed counts as a digit's width.
pub(crate) fn width(s: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = s
        .chars()
        .map(|c| match c {
            ' ' | '.' | ',' | 'I' | 'f' | 't' | '/' | ':' => 278,
            'i' | 'j' | 'l' => {
                if bold {
                    278
                } else {
                    222
                }
            }
            '-' | 'r' => 333,
            '%' => 889,
            'm' | 'M' => 833,
            'w' | 'C' | 'D' | 'H' | 'N' | 'R' | 'U' => 722,
            'G' | 'O' | 'Q' => 778,
            'W' => 944,
            'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' | 'J' => {
                if bold {
                    556
                } else {
                    500
                }
            }
            'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' => 667,
            'F' | 'T' | 'Z' => 611,
            'L' => 556,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_outside_win_ansi_prints_as_a_question_mark() {
        assert_eq!(win_ansi("Zürich €5 Ωx"), b"Z\xfcrich \x805 ?x".to_vec());
    }

    #[test]
    fn a_note_wraps_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
