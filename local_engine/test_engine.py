"""The local engine's own checks: the distance-to-similarity map on both
sides of every threshold Gatehouse uses, and real faces on either side."""

import io
import math
import unittest

from faces import SIMILARITY_MIDPOINT, SIMILARITY_SCALE, FaceModel, similarity
import documents
from engine import fixture_document, fixture_face

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


if __name__ == "__main__":
    unittest.main()
