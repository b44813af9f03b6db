"""Documents for the local Textract: real OCR with Tesseract, and the
generator of test identity documents (a photo page with a machine-readable
zone, ICAO 9303) that the tests and `make dev` use."""

import io
import os
import re
import subprocess
import tempfile

import matplotlib
from PIL import Image, ImageDraw, ImageFont

# The MRZ alphabet; a second OCR pass over a line that looks like an MRZ
# line is limited to it, as Textract's own MRZ reading is.
MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

# Textract reads pages of at most 10,000 pixels a side.
MAX_SIDE = 10_000

# What reading bytes that are no usable page raises: truncated or corrupt
# data (OSError), a bad header (ValueError, SyntaxError), a declared size
# past PIL's decompression-bomb limit. Textract answers each with 400
# UnsupportedDocumentException, and so does the engine.
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def _page(data: bytes) -> Image.Image:
    """The page in grey, its declared size checked before any decoding."""
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if max(width, height) > MAX_SIDE:
        raise ValueError(f"{width}x{height} pixels: at most {MAX_SIDE} a side")
    return image.convert("L")


def _font(size: int, mono: bool = False):
    # matplotlib ships the DejaVu fonts, so no system font is needed.
    name = "DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf"
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)
    return ImageFont.truetype(path, size)


def _tesseract(image: Image.Image, *args: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        image.save(file.name)
        done = subprocess.run(
            ["tesseract", file.name, "stdout", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"tesseract failed: {done.stderr.strip()[:200]}")
    return done.stdout


def _looks_like_mrz(text: str) -> bool:
    compact = text.replace(" ", "")
    return len(compact) >= 20 and compact.count("<") + compact.count("«") >= 2


def _reread_mrz(image: Image.Image, top: float, bottom: float):
    """Reads an MRZ line again on its own, in the MRZ alphabet, across the
    page's whole width (a tight crop loses filler `<`s). Bands of a few
    heights are tried; the first reading of an MRZ line's length (30 or 44)
    wins, as an MRZ reader's grid check would have it."""
    width, height = image.size
    readings = []
    for share in (0.4, 0.6, 0.25):
        pad = (bottom - top) * share
        crop = image.crop((0, max(int(top - pad), 0), width, min(int(bottom + pad), height)))
        text = _tesseract(crop, "--psm", "7", "-c",
                          f"tessedit_char_whitelist={MRZ_ALPHABET}").strip().replace(" ", "")
        if len(text) in (30, 44):
            return text
        readings.append(text)
    return next((r for r in readings if r), None)


def lines(data: bytes) -> list:
    """Text lines with confidence and a box in ratios of the page, in
    reading order: what Textract's LINE blocks carry."""
    image = _page(data)
    width, height = image.size
    # Tesseract reads best at ~30 px capital height; small scans go up 2x.
    scale = 2 if width < 1200 else 1
    big = image.resize((width * scale, height * scale)) if scale > 1 else image
    tsv = _tesseract(big, "--psm", "11", "tsv")
    groups = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or not cols[11].strip():
            continue
        key = (cols[2], cols[3], cols[4])  # block, paragraph, line
        left, top, w, h = (int(c) / scale for c in cols[6:10])
        groups.setdefault(key, []).append((cols[11], float(cols[10]), left, top, w, h))
    out = []
    for words in groups.values():
        left = min(w[2] for w in words)
        top = min(w[3] for w in words)
        right = max(w[2] + w[4] for w in words)
        bottom = max(w[3] + w[5] for w in words)
        text = " ".join(w[0] for w in words)
        confidence = sum(max(w[1], 0) for w in words) / len(words)
        if _looks_like_mrz(text):
            text = _reread_mrz(image, top, bottom) or text
        out.append({
            "Text": text,
            "Confidence": confidence,
            "BoundingBox": {"Width": (right - left) / width, "Height": (bottom - top) / height,
                            "Left": left / width, "Top": top / height},
        })
    out.sort(key=lambda l: (round(l["BoundingBox"]["Top"], 2), l["BoundingBox"]["Left"]))
    return out


# --- test documents -------------------------------------------------------

def check_digit(text: str) -> str:
    weights = (7, 3, 1)
    total = 0
    for i, char in enumerate(text):
        if char.isdigit():
            value = int(char)
        elif char.isalpha():
            value = ord(char) - ord("A") + 10
        else:
            value = 0
        total += value * weights[i % 3]
    return str(total % 10)


def _field(text: str, length: int) -> str:
    text = text.upper().replace(" ", "<").replace("-", "<")
    return (text + "<" * length)[:length]


def td3_mrz(f: dict) -> list:
    """The two 44-character lines of a passport (TD3)."""
    name = _field(f"{f['surname']}<<{f['givenNames']}", 39)
    line1 = f"P<{f['country']}{name}"
    number = _field(f["number"], 9)
    dob, expiry = f["birthDate"], f["expiryDate"]
    personal = _field(f.get("personalNumber", ""), 14)
    parts = (number + check_digit(number) + f["nationality"] + dob + check_digit(dob)
             + f["sex"] + expiry + check_digit(expiry) + personal + check_digit(personal))
    composite = (number + check_digit(number) + dob + check_digit(dob) + expiry
                 + check_digit(expiry) + personal + check_digit(personal))
    line2 = parts + check_digit(composite)
    return [line1, line2]


def td1_mrz(f: dict) -> list:
    """The three 30-character lines of an ID card (TD1)."""
    number = _field(f["number"], 9)
    optional1 = _field(f.get("optional", ""), 15)
    line1 = "I<" + f["country"] + number + check_digit(number) + optional1
    dob, expiry = f["birthDate"], f["expiryDate"]
    optional2 = _field("", 11)
    line2 = dob + check_digit(dob) + f["sex"] + expiry + check_digit(expiry) + f["nationality"] + optional2
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line2 += check_digit(composite)
    line3 = _field(f"{f['surname']}<<{f['givenNames']}", 30)
    return [line1, line2, line3]


def render(fields: dict, faces: list) -> bytes:
    """A photo page: the portraits on the left, printed fields, the MRZ at
    the bottom. `fields` use MRZ forms (dates YYMMDD)."""
    kind = fields.get("kind", "passport")
    mrz = td3_mrz(fields) if kind == "passport" else td1_mrz(fields)
    width = 1250 if kind == "passport" else 1000
    height = 880 if kind == "passport" else 760
    page = Image.new("RGB", (width, height), (236, 238, 232))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, width, 70), fill=(40, 70, 120))
    title = "PASSPORT" if kind == "passport" else "IDENTITY CARD"
    draw.text((30, 14), f"{title}  {fields['country']}", font=_font(36), fill=(255, 255, 255))
    x = 40
    for face in faces:
        portrait = face.copy()
        portrait.thumbnail((240, 300))
        page.paste(portrait, (x, 110))
        x += portrait.width + 20
    label, value = _font(20), _font(30)
    rows = [
        ("Surname", fields["surname"]),
        ("Given names", fields["givenNames"]),
        ("Document no.", fields["number"]),
        ("Nationality", fields["nationality"]),
        ("Date of birth", fields["birthDate"]),
        ("Date of expiry", fields["expiryDate"]),
    ]
    y = 100
    for caption, text in rows:
        draw.text((max(x, 320) + 20, y), caption, font=label, fill=(90, 90, 90))
        draw.text((max(x, 320) + 20, y + 24), text.upper(), font=value, fill=(10, 10, 10))
        y += 72
    mono = _font(34, mono=True)
    y = height - 30 - 52 * len(mrz)
    draw.rectangle((0, y - 20, width, height), fill=(250, 250, 250))
    # A fixed pitch wider than the font's own, as OCR-B's on real documents.
    pitch = (width - 60) / len(mrz[0])
    for line in mrz:
        for i, char in enumerate(line):
            draw.text((30 + i * pitch, y), char, font=mono, fill=(0, 0, 0))
        y += 52
    out = io.BytesIO()
    page.save(out, "JPEG", quality=92)
    return out.getvalue()


# --- US documents without a zone -------------------------------------------

# What AnalyzeID answers for every document: each type, empty when not found.
ID_FIELD_TYPES = ("FIRST_NAME", "LAST_NAME", "MIDDLE_NAME", "SUFFIX", "CITY_IN_ADDRESS",
                  "ZIP_CODE_IN_ADDRESS", "STATE_IN_ADDRESS", "STATE_NAME", "DOCUMENT_NUMBER",
                  "EXPIRATION_DATE", "DATE_OF_BIRTH", "DATE_OF_ISSUE", "ID_TYPE", "ENDORSEMENTS",
                  "VETERAN", "RESTRICTIONS", "CLASS", "ADDRESS", "COUNTY", "PLACE_OF_BIRTH",
                  "MRZ_CODE")

# Labels US licences print before each field (AAMVA's card design numbers
# them: 4d DLN, 4b EXP, 3 DOB, 1 family name, 2 given names).
LABELS = (
    ("DOCUMENT_NUMBER", re.compile(r"^(?:4D\s*)?(?:DLN|DL|LIC)\b[\s:#]*([A-Z0-9]{4,})")),
    ("EXPIRATION_DATE", re.compile(r"^(?:4B\s*)?EXP\b[\s:]*(\d{2}/\d{2}/\d{4})")),
    ("DATE_OF_BIRTH", re.compile(r"^(?:3\s*)?DOB\b[\s:]*(\d{2}/\d{2}/\d{4})")),
    ("LAST_NAME", re.compile(r"^(?:1\s*)?LN\b[\s:]*([A-Z][A-Z' -]*)")),
    ("FIRST_NAME", re.compile(r"^(?:2\s*)?FN\b[\s:]*([A-Z][A-Z' -]*)")),
)


def card_lines(data: bytes) -> list:
    """A card's printed lines, read as one column of text at its own size
    (upscaling blurs a card's slashes into letters)."""
    image = _page(data)
    return [line.strip() for line in _tesseract(image, "--psm", "4").splitlines() if line.strip()]


def id_fields(found: list) -> list:
    """AnalyzeID's IdentityDocumentFields from the printed lines of a US card."""
    values = {name: "" for name in ID_FIELD_TYPES}
    for line in found:
        text = line.upper()
        if "DRIVER" in text and "LICENSE" in text:
            values["ID_TYPE"] = "DRIVER LICENSE FRONT"
        for name, pattern in LABELS:
            match = pattern.match(text)
            if match and not values[name]:
                values[name] = match.group(1).strip()
    out = []
    for name in ID_FIELD_TYPES:
        value = {"Text": values[name], "Confidence": 95.0 if values[name] else 0.0}
        if name in ("EXPIRATION_DATE", "DATE_OF_BIRTH") and values[name]:
            month, day, year = values[name].split("/")
            value["NormalizedValue"] = {"Value": f"{year}-{month}-{day}T00:00:00", "ValueType": "Date"}
        out.append({"Type": {"Text": name}, "ValueDetection": value})
    return out


def _us_date(yymmdd: str, birth: bool) -> str:
    year = int(yymmdd[:2])
    century = 1900 if birth and year > 30 else 2000
    return f"{yymmdd[2:4]}/{yymmdd[4:6]}/{century + year}"


def render_us_licence(fields: dict, faces: list) -> bytes:
    """A US driver's licence front: labelled fields, a portrait, no zone."""
    page = Image.new("RGB", (1000, 630), (226, 236, 246))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 1000, 80), fill=(20, 60, 110))
    draw.text((30, 18), "USA  DRIVER LICENSE", font=_font(38), fill=(255, 255, 255))
    x = 40
    for face in faces:
        portrait = face.copy()
        portrait.thumbnail((230, 290))
        page.paste(portrait, (x, 120))
        x += portrait.width + 20
    rows = [
        f"DL {fields['number']}",
        f"EXP {_us_date(fields['expiryDate'], False)}",
        f"LN {fields['surname'].upper()}",
        f"FN {fields['givenNames'].upper()}",
        f"DOB {_us_date(fields['birthDate'], True)}",
    ]
    y = 120
    for row in rows:
        draw.text((max(x, 300) + 30, y), row, font=_font(36), fill=(10, 10, 10))
        y += 70
    out = io.BytesIO()
    page.save(out, "JPEG", quality=92)
    return out.getvalue()
