"""PDF and DOCX articles: text per page, page numbers on passages, bad files skipped with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.chunking import chunk_article
from vectorstore.documents_binary import page_of
from vectorstore.loaders import LoadError, Skipped, iter_articles, load_file
from vectorstore.store import passage_metadata

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "news_corpus"


def _text_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.rect(20, 20, 100, 100, style="F")  # a "scanned" page: drawing, no text
    pdf.output(str(path))
    if password:
        import pypdf

        reader = pypdf.PdfReader(str(path))
        writer = pypdf.PdfWriter(clone_from=reader)
        writer.encrypt(password, algorithm="RC4-128")
        with path.open("wb") as fh:
            writer.write(fh)
    return path


def test_fixture_pdf_keeps_pages_title_date_and_outlet():
    article = load_file(CORPUS / "pdf" / "layanan-pdn-pulih.pdf")[0]
    assert article.title == "Layanan publik terdampak serangan PDN berangsur pulih"
    assert article.date is not None and article.date.strftime("%Y-%m-%d") == "2025-05-28"
    assert article.outlet == "ANTARA News"
    assert article.lang == "id"
    assert "ransomware di Pusat Data" in article.text  # wrapped lines joined: one sentence, not two
    passages = chunk_article(article, 400, 80)
    pages = [page_of(article.extra, p.start) for p in passages]
    assert pages == [1, 2]
    meta = passage_metadata(article, passages[1], len(passages))
    assert meta["page"] == 2
    assert article.text[passages[1].start :].startswith("Layanan imigrasi kembali normal")


def test_blank_pages_keep_the_real_page_numbers(tmp_path):
    path = _text_pdf(tmp_path / "gaps.pdf", ["Judul Berita\n\nHalaman pertama berisi teks.", "", "Halaman ketiga."])
    article = load_file(path)[0]
    third = article.text.index("Halaman ketiga")
    assert page_of(article.extra, third) == 3
    assert page_of(article.extra, 0) == 1


def test_scanned_pdf_without_text_is_one_line(tmp_path):
    path = _text_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(LoadError, match=r"no text in the PDF \(2 pages; scanned images need OCR first\)"):
        load_file(path)


def test_encrypted_pdf_is_skipped(tmp_path):
    path = _text_pdf(tmp_path / "locked.pdf", ["Rahasia negara."], password="secret")
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_file(path)


def test_encrypted_pdf_with_an_empty_password_opens(tmp_path):
    path = _text_pdf(tmp_path / "open.pdf", ["Berita terbuka untuk semua pembaca."], password="")
    assert "Berita terbuka" in load_file(path)[0].text


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("garbage.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not a pdf\n%%EOF"),
        ("truncated.pdf", b"%PDF-1.4\n"),
        ("empty.pdf", b""),
        ("not-zip.docx", b"PK\x03\x04 not really a zip"),
        ("text.docx", b"plain text pretending to be a docx"),
    ],
)
def test_malformed_files_never_crash_the_ingest(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text("Judul\n\nBerita yang baik dan lengkap.", encoding="utf-8")
    items = list(iter_articles([tmp_path]))
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [s.path.endswith(name) for s in skipped] == [True]
    assert "\n" not in skipped[0].reason and skipped[0].reason
    assert sum(not isinstance(i, Skipped) for i in items) == 1


def test_docx_article(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Harga Cabai Naik Jelang Idul Adha"
    document.add_paragraph("Tempo.co - 02/06/2025, 08:00 WIB")
    document.add_paragraph("Harga cabai rawit di Pasar Kramat Jati naik menjadi Rp80.000 per kilogram.")
    document.add_paragraph("Pedagang menyebut pasokan dari Jawa Tengah berkurang.")
    document.save(tmp_path / "cabai.docx")
    article = load_file(tmp_path / "cabai.docx")[0]
    assert article.title == "Harga Cabai Naik Jelang Idul Adha"
    assert article.outlet == "Tempo.co"
    assert article.date is not None and article.date.strftime("%Y-%m-%d") == "2025-06-02"
    assert "Rp80.000" in article.text and article.lang == "id"
    assert page_of(article.extra, 0) is None  # DOCX has no fixed pages


def test_empty_docx_is_one_line(tmp_path):
    import docx

    docx.Document().save(tmp_path / "blank.docx")
    with pytest.raises(LoadError, match="no text in the DOCX"):
        load_file(tmp_path / "blank.docx")
