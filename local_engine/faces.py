"""Real face computation for the local Rekognition: dlib's HOG detector, its
5-point landmarks and its ResNet embedding (all public domain).

The 68-point landmark file that ships in the same package is licensed for
non-commercial use only and is never loaded here.
"""

import importlib.util
import io
import math
import os

import dlib
import numpy as np
from PIL import Image, ImageOps

# Distances between embeddings of one person sit below ~0.3 on edited copies
# of a photo and below ~0.5 across photos; different people sit above ~0.6
# (dlib's own threshold). The logistic curve puts 50 at 0.55 and is steep
# around it, so Rekognition-style thresholds (80-99) fall inside the
# same-person band: 90 is a distance of 0.44, 99 one of 0.32.
SIMILARITY_MIDPOINT = 0.55
SIMILARITY_SCALE = 0.05


def similarity(distance: float) -> float:
    """Maps an embedding distance to Rekognition's 0-100 similarity."""
    return 100.0 / (1.0 + math.exp((distance - SIMILARITY_MIDPOINT) / SIMILARITY_SCALE))


def _models_dir() -> str:
    # `import face_recognition_models` needs pkg_resources; find it instead.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "models")


class Face:
    """One detected face: its box in pixels, quality and embedding."""

    def __init__(self, rect, width, height, embedding, sharpness, brightness, confidence):
        self.rect = rect
        self.width = width
        self.height = height
        self.embedding = embedding
        self.sharpness = sharpness
        self.brightness = brightness
        self.confidence = confidence

    def bounding_box(self) -> dict:
        """Rekognition's ratios of the image's width and height."""
        left = max(self.rect.left(), 0)
        top = max(self.rect.top(), 0)
        right = min(self.rect.right(), self.width)
        bottom = min(self.rect.bottom(), self.height)
        return {
            "Width": (right - left) / self.width,
            "Height": (bottom - top) / self.height,
            "Left": left / self.width,
            "Top": top / self.height,
        }

    def detail(self) -> dict:
        return {
            "BoundingBox": self.bounding_box(),
            "Confidence": self.confidence,
            "Quality": {"Brightness": self.brightness, "Sharpness": self.sharpness},
            "Pose": {"Roll": 0.0, "Yaw": 0.0, "Pitch": 0.0},
        }

    def distance(self, other: "Face") -> float:
        return float(np.linalg.norm(self.embedding - other.embedding))


class ImageError(ValueError):
    """Bytes that are not an image Rekognition would take."""


class FaceModel:
    def __init__(self):
        models = _models_dir()
        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(
            os.path.join(models, "shape_predictor_5_face_landmarks.dat")
        )
        self.embedder = dlib.face_recognition_model_v1(
            os.path.join(models, "dlib_face_recognition_resnet_model_v1.dat")
        )

    @staticmethod
    def decode(data: bytes) -> np.ndarray:
        try:
            image = Image.open(io.BytesIO(data))
            image = ImageOps.exif_transpose(image).convert("RGB")
        except Exception as error:  # PIL raises many types for bad bytes
            raise ImageError(f"not a JPEG or PNG image: {error}") from None
        return np.asarray(image)

    def faces(self, data: bytes) -> list:
        """Every face, largest first. Small images are upsampled once so a
        face in the corner of an ID card is still found."""
        pixels = self.decode(data)
        height, width = pixels.shape[:2]
        upsample = 1 if max(width, height) < 1600 else 0
        detections, scores, _ = self.detector.run(pixels, upsample, 0.0)
        gray = pixels.mean(axis=2)
        faces = []
        for rect, score in zip(detections, scores):
            shape = self.landmarks(pixels, rect)
            embedding = np.array(self.embedder.compute_face_descriptor(pixels, shape))
            crop = gray[max(rect.top(), 0):rect.bottom(), max(rect.left(), 0):rect.right()]
            brightness = float(crop.mean() / 2.55) if crop.size else 0.0
            sharpness = float(min(100.0, np.abs(np.diff(crop, axis=1)).mean() * 5)) if crop.size else 0.0
            confidence = float(100.0 / (1.0 + math.exp(-3.0 * (score + 0.5))))
            faces.append(Face(rect, width, height, embedding, sharpness, brightness, confidence))
        faces.sort(key=lambda f: f.rect.area(), reverse=True)
        return faces
