"""The local Rekognition and Textract: an HTTP server on loopback that speaks
their JSON protocol (awsJson1_1, `X-Amz-Target`), so Gatehouse's production
adapters (aws-sdk-rekognition, aws-sdk-textract) run unchanged against it
through `AWS_ENDPOINT_URL_REKOGNITION` / `AWS_ENDPOINT_URL_TEXTRACT`.

What is computed: face detection, quality, embeddings, compare, collections
and search (dlib), and document text (Tesseract OCR). What is not: liveness.
Only AWS's streaming service judges liveness; here the local client posts a
still to `/local/liveness/{SessionId}` with the confidence it wants, and the
session's reference image is that still.

Local-only routes (never part of AWS's API) live under `/local/`: the
liveness still, and test fixtures (faces and rendered identity documents).
"""

import argparse
import base64
import io
import json
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import documents
from faces import FaceModel, ImageError, similarity

LIVENESS_SESSION_SECONDS = 180


class AwsError(Exception):
    def __init__(self, kind: str, message: str, status: int = 400):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


def image_bytes(image) -> bytes:
    if not isinstance(image, dict) or "Bytes" not in image:
        raise AwsError("InvalidParameterException", "Image.Bytes is required (S3Object is not supported locally)")
    try:
        data = base64.b64decode(image["Bytes"], validate=True)
    except Exception:
        raise AwsError("InvalidParameterException", "Image.Bytes is not base64") from None
    if len(data) > 5 * 1024 * 1024:
        raise AwsError("ImageTooLargeException", "image is larger than 5 MB")
    return data


class Engine:
    def __init__(self, s3_endpoint):
        self.model = FaceModel()
        self.s3_endpoint = s3_endpoint
        self.lock = threading.Lock()
        self.model_lock = threading.Lock()
        self.collections = {}
        self.sessions = {}

    # --- faces -----------------------------------------------------------

    def faces(self, image) -> list:
        data = image_bytes(image)
        try:
            # dlib's models are not thread-safe: one image at a time.
            with self.model_lock:
                return self.model.faces(data)
        except ImageError as error:
            raise AwsError("InvalidImageFormatException", str(error)) from None

    def DetectFaces(self, body):
        return {"FaceDetails": [f.detail() for f in self.faces(body.get("Image"))]}

    def CompareFaces(self, body):
        threshold = float(body.get("SimilarityThreshold", 80.0))
        sources = self.faces(body.get("SourceImage"))
        targets = self.faces(body.get("TargetImage"))
        if not sources:
            raise AwsError("InvalidParameterException", "no face in the source image")
        source = sources[0]
        matches, unmatched = [], []
        for target in targets:
            score = similarity(source.distance(target))
            entry = {"BoundingBox": target.bounding_box(), "Confidence": target.confidence,
                     "Quality": target.detail()["Quality"]}
            if score >= threshold:
                matches.append({"Similarity": score, "Face": entry})
            else:
                unmatched.append(entry)
        matches.sort(key=lambda m: m["Similarity"], reverse=True)
        return {
            "SourceImageFace": {"BoundingBox": source.bounding_box(), "Confidence": source.confidence},
            "FaceMatches": matches,
            "UnmatchedFaces": unmatched,
        }

    def collection(self, body):
        cid = body.get("CollectionId")
        if cid not in self.collections:
            raise AwsError("ResourceNotFoundException", f"collection {cid} not found")
        return self.collections[cid]

    def CreateCollection(self, body):
        cid = body.get("CollectionId")
        if not cid:
            raise AwsError("InvalidParameterException", "CollectionId is required")
        with self.lock:
            if cid in self.collections:
                raise AwsError("ResourceAlreadyExistsException", f"collection {cid} exists")
            self.collections[cid] = {"faces": {}, "users": {}}
        return {"StatusCode": 200, "CollectionArn": f"aws:rekognition:local:collection/{cid}",
                "FaceModelVersion": "7.0"}

    def DescribeCollection(self, body):
        c = self.collection(body)
        return {"FaceCount": len(c["faces"]), "UserCount": len(c["users"]), "FaceModelVersion": "7.0"}

    def IndexFaces(self, body):
        c = self.collection(body)
        found = self.faces(body.get("Image"))[: int(body.get("MaxFaces", 100))]
        image_id = str(uuid.uuid4())
        records = []
        with self.lock:
            for face in found:
                face_id = str(uuid.uuid4())
                c["faces"][face_id] = {"embedding": face.embedding, "user": None,
                                       "external": body.get("ExternalImageId"), "image": image_id}
                records.append({"Face": {"FaceId": face_id, "BoundingBox": face.bounding_box(),
                                         "ImageId": image_id, "ExternalImageId": body.get("ExternalImageId"),
                                         "Confidence": face.confidence},
                                "FaceDetail": face.detail()})
        return {"FaceRecords": records, "UnindexedFaces": [], "FaceModelVersion": "7.0"}

    def CreateUser(self, body):
        c = self.collection(body)
        user = body.get("UserId")
        with self.lock:
            if user in c["users"]:
                raise AwsError("ConflictException", f"user {user} exists")
            c["users"][user] = set()
        return {}

    def AssociateFaces(self, body):
        c = self.collection(body)
        user = body.get("UserId")
        if user not in c["users"]:
            raise AwsError("ResourceNotFoundException", f"user {user} not found")
        done, failed = [], []
        with self.lock:
            for face_id in body.get("FaceIds", []):
                face = c["faces"].get(face_id)
                if face is None or face["user"] not in (None, user):
                    failed.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND" if face is None else "ASSOCIATED_TO_A_DIFFERENT_USER"]})
                    continue
                face["user"] = user
                c["users"][user].add(face_id)
                done.append({"FaceId": face_id})
        return {"AssociatedFaces": done, "UnsuccessfulFaceAssociations": failed, "UserStatus": "ACTIVE"}

    def SearchUsersByImage(self, body):
        c = self.collection(body)
        threshold = float(body.get("UserMatchThreshold", 80.0))
        found = self.faces(body.get("Image"))
        if not found:
            raise AwsError("InvalidParameterException", "no face in the image")
        face = found[0]
        best = {}
        for entry in c["faces"].values():
            if entry["user"] is None:
                continue
            score = similarity(float(((entry["embedding"] - face.embedding) ** 2).sum() ** 0.5))
            best[entry["user"]] = max(score, best.get(entry["user"], 0.0))
        matches = [{"Similarity": s, "User": {"UserId": u, "UserStatus": "ACTIVE"}}
                   for u, s in best.items() if s >= threshold]
        matches.sort(key=lambda m: m["Similarity"], reverse=True)
        return {"UserMatches": matches[: int(body.get("MaxUsers", 5))], "FaceModelVersion": "7.0",
                "SearchedFace": {"FaceDetail": face.detail()},
                "UnsearchedFaces": [{"FaceDetails": f.detail(), "Reasons": ["FACE_NOT_LARGEST"]} for f in found[1:]]}

    def DeleteUser(self, body):
        c = self.collection(body)
        with self.lock:
            if c["users"].pop(body.get("UserId"), None) is None:
                raise AwsError("ResourceNotFoundException", "user not found")
            for entry in c["faces"].values():
                if entry["user"] == body.get("UserId"):
                    entry["user"] = None
        return {}

    def DeleteFaces(self, body):
        c = self.collection(body)
        deleted = []
        with self.lock:
            for face_id in body.get("FaceIds", []):
                entry = c["faces"].pop(face_id, None)
                if entry is not None:
                    deleted.append(face_id)
                    if entry["user"] in c["users"]:
                        c["users"][entry["user"]].discard(face_id)
        return {"DeletedFaces": deleted, "UnsuccessfulFaceDeletions": []}

    # --- liveness ----------------------------------------------------------

    def CreateFaceLivenessSession(self, body):
        session_id = str(uuid.uuid4())
        settings = body.get("Settings") or {}
        with self.lock:
            self.sessions[session_id] = {"created": time.time(), "status": "CREATED",
                                         "output": settings.get("OutputConfig"), "result": None}
        return {"SessionId": session_id}

    def GetFaceLivenessSessionResults(self, body):
        session = self.sessions.get(body.get("SessionId"))
        if session is None:
            raise AwsError("SessionNotFoundException", "liveness session not found")
        status = session["status"]
        if status == "CREATED" and time.time() - session["created"] > LIVENESS_SESSION_SECONDS:
            status = "EXPIRED"
        answer = {"SessionId": body["SessionId"], "Status": status}
        if session["result"] is not None:
            answer.update(session["result"])
        return answer

    def post_still(self, session_id: str, body: dict):
        """The local stand-in for the streamed check: the still becomes the
        reference image, the confidence is the caller's."""
        try:
            confidence = float(body.get("confidence", 99.0))
        except (TypeError, ValueError):
            raise AwsError("InvalidParameterException", "confidence must be a number") from None
        image = {"Bytes": body.get("image", "")}
        faces = self.faces(image)
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise AwsError("SessionNotFoundException", "liveness session not found")
            if session["status"] != "CREATED":
                raise AwsError("InvalidParameterException", "the session already ran its one check")
            if time.time() - session["created"] > LIVENESS_SESSION_SECONDS:
                raise AwsError("InvalidParameterException", "the session expired")
            session["status"] = "SUCCEEDED"
        reference = {"Bytes": image["Bytes"]}
        if faces:
            reference["BoundingBox"] = faces[0].bounding_box()
        output = session["output"]
        if output and self.s3_endpoint:
            key = f"{output.get('S3KeyPrefix', '')}{session_id}/reference.jpg"
            self.put_object(output["S3Bucket"], key, base64.b64decode(image["Bytes"]))
            reference["S3Object"] = {"Bucket": output["S3Bucket"], "Name": key}
        session["result"] = {"Confidence": confidence, "ReferenceImage": reference, "AuditImages": []}

    def put_object(self, bucket: str, key: str, data: bytes):
        request = urllib.request.Request(f"{self.s3_endpoint}/{bucket}/{key}", data=data, method="PUT",
                                         headers={"Content-Type": "image/jpeg"})
        urllib.request.urlopen(request, timeout=10).read()

    # --- documents -----------------------------------------------------------

    def DetectDocumentText(self, body):
        document = body.get("Document") or {}
        data = image_bytes({"Bytes": document.get("Bytes")})
        try:
            found = documents.lines(data)
        except documents.UNREADABLE as error:
            raise AwsError("UnsupportedDocumentException", f"not a readable image: {error}") from None
        page_id = str(uuid.uuid4())
        blocks = [{"BlockType": "PAGE", "Id": page_id, "Geometry": {"BoundingBox": {"Width": 1.0, "Height": 1.0, "Left": 0.0, "Top": 0.0}}}]
        for line in found:
            blocks.append({"BlockType": "LINE", "Id": str(uuid.uuid4()), "Text": line["Text"],
                           "Confidence": line["Confidence"], "Geometry": {"BoundingBox": line["BoundingBox"]}})
        return {"DocumentMetadata": {"Pages": 1}, "Blocks": blocks, "DetectDocumentTextModelVersion": "1.0"}

    def AnalyzeID(self, body):
        pages = body.get("DocumentPages") or []
        if len(pages) not in (1, 2):
            raise AwsError("InvalidParameterException", "DocumentPages takes one or two pages")
        data = image_bytes({"Bytes": (pages[0] or {}).get("Bytes")})
        try:
            found = documents.card_lines(data)
        except documents.UNREADABLE as error:
            raise AwsError("UnsupportedDocumentException", f"not a readable image: {error}") from None
        return {"IdentityDocuments": [{"DocumentIndex": 1, "IdentityDocumentFields": documents.id_fields(found)}],
                "DocumentMetadata": {"Pages": len(pages)}, "AnalyzeIDModelVersion": "1.0"}


def fixture_face(name: str, variant: str) -> bytes:
    """Public-domain faces that ship in packages: the astronaut (NASA, in
    scikit-image), Grace Hopper (US Navy, in matplotlib), coffee (no face)."""
    import matplotlib.cbook as cbook
    from PIL import Image
    from skimage import data

    if name == "astronaut":
        image = Image.fromarray(data.astronaut()).crop((100, 0, 400, 330))
    elif name == "hopper":
        image = Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB").crop((60, 20, 460, 470))
    elif name == "coffee":
        image = Image.fromarray(data.coffee())
    elif name == "pair":
        a = fixture_image("astronaut", "selfie")
        b = fixture_image("hopper", "selfie")
        b = b.resize((int(b.width * a.height / b.height), a.height))
        image = Image.new("RGB", (a.width + b.width + 40, a.height), (255, 255, 255))
        image.paste(a, (0, 0))
        image.paste(b, (a.width + 40, 0))
    else:
        raise AwsError("InvalidParameterException", f"no fixture face {name}", 404)
    if variant == "rotated":
        image = image.rotate(7, fillcolor=(128, 128, 128))
    elif variant == "small":
        image = image.resize((image.width // 2, image.height // 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60 if variant == "lowq" else 90)
    return out.getvalue()


def fixture_image(name: str, variant: str):
    from PIL import Image
    return Image.open(io.BytesIO(fixture_face(name, variant))).convert("RGB")


def fixture_document(body: dict) -> bytes:
    fields = {"kind": "passport", "country": "USA", "nationality": "USA", "sex": "F",
              "surname": "Collins", "givenNames": "Eileen", "number": "X12345678",
              "birthDate": "561119", "expiryDate": "351231"}
    fields.update({k: v for k, v in body.items() if k != "faces"})
    portraits = [fixture_image(name, "selfie") for name in body.get("faces", ["astronaut"])]
    if fields["kind"] == "usDriversLicense":
        return documents.render_us_licence(fields, portraits)
    return documents.render(fields, portraits)


class Handler(BaseHTTPRequestHandler):
    engine = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        # Bodies carry images; only the operation and status are logged.
        pass

    def local_cors(self):
        # The hosted pages (another local origin) post the camera still here,
        # as Amplify's component streams to Rekognition when deployed.
        if self.path.startswith("/local/liveness/"):
            self.send_header("Access-Control-Allow-Origin", "*")

    def do_OPTIONS(self):
        if not self.path.startswith("/local/liveness/"):
            self.fail(AwsError("UnknownOperationException", "not found", 404))
            return
        self.send_response(204)
        self.local_cors()
        self.send_header("Access-Control-Allow-Methods", "POST")
        self.send_header("Access-Control-Allow-Headers", "content-type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.local_cors()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fail(self, error: AwsError):
        body = json.dumps({"__type": error.kind, "Message": error.message}).encode()
        self.send_response(error.status)
        self.local_cors()
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", error.kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            raise AwsError("SerializationException", "body is not JSON") from None
        if not isinstance(body, dict):
            raise AwsError("SerializationException", "body is not a JSON object")
        return body

    def do_GET(self):
        try:
            if self.path.startswith("/local/fixtures/faces/"):
                rest = self.path[len("/local/fixtures/faces/"):]
                name, _, variant = rest.partition("?variant=")
                self.send(200, fixture_face(name, variant or "selfie"), "image/jpeg")
            elif self.path == "/health":
                self.send(200, b"ok", "text/plain")
            else:
                raise AwsError("UnknownOperationException", "not found", 404)
        except AwsError as error:
            self.fail(error)

    def do_POST(self):
        try:
            body = self.read_json()
            if self.path.startswith("/local/liveness/"):
                self.engine.post_still(self.path[len("/local/liveness/"):], body)
                self.send(204, b"", "text/plain")
                return
            if self.path == "/local/fixtures/document":
                self.send(200, fixture_document(body), "image/jpeg")
                return
            target = self.headers.get("X-Amz-Target", "")
            service, _, operation = target.partition(".")
            if service not in ("RekognitionService", "Textract") or not operation.isalnum():
                raise AwsError("UnknownOperationException", f"unknown target {target!r}")
            method = getattr(self.engine, operation, None)
            if method is None:
                raise AwsError("UnknownOperationException", f"{operation} is not implemented locally")
            started = time.time()
            try:
                answer = method(body)
            finally:
                print(json.dumps({"operation": operation, "ms": round((time.time() - started) * 1000)}), flush=True)
            self.send(200, json.dumps(answer).encode(), "application/x-amz-json-1.1")
        except AwsError as error:
            self.fail(error)
        except Exception as error:  # an engine bug must read as AWS's 500
            print(json.dumps({"error": repr(error)}), file=sys.stderr, flush=True)
            self.fail(AwsError("InternalServerError", "local engine error", 500))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument("--s3-endpoint", default=None, help="moto's URL, for liveness output images")
    args = parser.parse_args()
    Handler.engine = Engine(args.s3_endpoint)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(json.dumps({"listening": args.port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
