"""The local engine's own checks: the distance-to-similarity map on both
sides of every threshold Gatehouse uses, and real faces on either side."""

import base64
import io
import math
import unittest

from faces import SIMILARITY_MIDPOINT, SIMILARITY_SCALE, FaceModel, similarity
import documents
from engine import AwsError, Engine, fixture_document, fixture_face

THRESHOLDS = (50.0, 80.0, 90.0, 99.0)


def distance_at(score: float) -> float:
    """The distance whose similarity is exactly `score` (the map's inverse)."""
    return SIMILARITY_MIDPOINT + SIMILARITY_SCALE * math.log(100.0 / score - 1.0)


class SimilarityMap(unittest.TestCase):
    def test_it_falls_as_faces_move_apart(self):
        scores = [similarity(d / 100) for d in range(0, 121)]
        self.assertTrue(all(a > b for a, b in zip(scores, scores[1:])))
        self.assertAlmostEqual(similarity(SIMILARITY_MIDPOINT), 50.0)
        self.assertTrue(0.0 < similarity(1.2) < 1.0 and 99.0 < similarity(0.0) <= 100.0)

    def test_both_sides_of_each_threshold(self):
        for threshold in THRESHOLDS:
            edge = distance_at(threshold)
            self.assertGreaterEqual(similarity(edge - 0.001), threshold)
            self.assertLess(similarity(edge + 0.001), threshold)

    def test_dlibs_own_threshold_reads_as_a_mismatch(self):
        # dlib calls 0.6 different people: far below any threshold here.
        self.assertLess(similarity(0.6), min(THRESHOLDS[1:]))


class RealFaces(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = FaceModel()

    def embed(self, name, variant):
        faces = self.model.faces(fixture_face(name, variant))
        self.assertEqual(len(faces), 1, f"{name} {variant}")
        return faces[0]

    def test_one_person_matches_above_90(self):
        a = self.embed("astronaut", "selfie")
        for variant in ("rotated", "small", "lowq"):
            self.assertGreaterEqual(similarity(a.distance(self.embed("astronaut", variant))), 90.0, variant)

    def test_two_people_stay_below_80(self):
        a = self.embed("astronaut", "selfie")
        h = self.embed("hopper", "selfie")
        self.assertLess(similarity(a.distance(h)), 80.0)

    def test_no_face_and_two_faces(self):
        self.assertEqual(self.model.faces(fixture_face("coffee", "selfie")), [])
        self.assertEqual(len(self.model.faces(fixture_face("pair", "selfie"))), 2)


class Documents(unittest.TestCase):
    def test_a_rendered_passport_zone_reads_back_exactly(self):
        fields = {"kind": "passport", "country": "USA", "nationality": "USA", "sex": "F",
                  "surname": "Lopez", "givenNames": "Ana", "number": "X12345678",
                  "birthDate": "561119", "expiryDate": "351231"}
        zone = documents.td3_mrz(fields)
        read = [line["Text"] for line in documents.lines(fixture_document({"surname": "Lopez", "givenNames": "Ana"}))]
        self.assertIn(zone[0], read)
        # The check digits are Gatehouse's to judge; the engine's OCR may
        # misread a digit as a look-alike letter, never drop a character.
        self.assertTrue(any(len(line) == 44 and line[:28] == zone[1][:28] for line in read), read)

    def test_a_licence_reads_as_analyze_id_fields(self):
        found = documents.id_fields(documents.card_lines(fixture_document({"kind": "usDriversLicense"})))
        values = {f["Type"]["Text"]: f["ValueDetection"] for f in found}
        self.assertEqual(len(values), len(documents.ID_FIELD_TYPES), "every type, as AnalyzeID answers")
        self.assertEqual(values["DOCUMENT_NUMBER"]["Text"], "X12345678")
        self.assertEqual(values["DATE_OF_BIRTH"]["NormalizedValue"]["Value"], "1956-11-19T00:00:00")
        self.assertEqual(values["ID_TYPE"]["Text"], "DRIVER LICENSE FRONT")
        self.assertEqual(values["MRZ_CODE"]["Text"], "")


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` over almost no data:
    a decompression bomb."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


class HostileDocuments(unittest.TestCase):
    """What Textract answers a bad page with, 400 UnsupportedDocumentException,
    and never the 500 that Gatehouse would read as an outage."""

    @classmethod
    def setUpClass(cls):
        cls.engine = Engine("http://127.0.0.1:9")

    def assert_unsupported(self, data: bytes):
        page = {"Bytes": base64.b64encode(data).decode()}
        for operation, body in (("DetectDocumentText", {"Document": page}), ("AnalyzeID", {"DocumentPages": [page]})):
            with self.assertRaises(AwsError) as raised:
                getattr(self.engine, operation)(body)
            self.assertEqual((raised.exception.kind, raised.exception.status), ("UnsupportedDocumentException", 400))

    def test_declared_sizes_past_the_limits_are_refused(self):
        for width, height in ((100_000, 100_000), (65_535, 65_535), (2**31 - 1, 1), (10_001, 10)):
            self.assert_unsupported(png_declaring(width, height))

    def test_truncated_pixel_data_is_refused(self):
        self.assert_unsupported(png_declaring(4_000, 3_000))


if __name__ == "__main__":
    unittest.main()
