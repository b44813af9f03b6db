"""Sets up moto as an operator sets up AWS: verifies the sender identity in
SES, and stores the local secrets (.local/secrets) in Secrets Manager, where
the functions read them at start."""
import os

import boto3

sender = os.environ["GATEHOUSE_EMAIL_FROM"]
boto3.client("ses", endpoint_url=os.environ["AWS_ENDPOINT_URL_SES"]).verify_email_identity(EmailAddress=sender)

secrets = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
folder = os.environ["GATEHOUSE_SECRETS_DIR"]


def store(name, filename):
    with open(os.path.join(folder, filename)) as f:
        value = f.read()
    try:
        secrets.create_secret(Name=name, SecretString=value)
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=name, SecretString=value)


# The identity images bucket (template.yaml's ImagesBucket).
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
try:
    s3.create_bucket(Bucket=os.environ["GATEHOUSE_IMAGES_BUCKET"])
except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
    pass

store(os.environ["GATEHOUSE_OTP_PEPPER_SECRET"], "pepper")
store(os.environ["GATEHOUSE_JWT_PRIVATE_KEY_SECRET"], "jwt-private.pem")
store(os.environ["GATEHOUSE_JWT_PUBLIC_KEYS_SECRET"], "jwt-public.pem")
store(os.environ["GATEHOUSE_RSA_PRIVATE_KEY_SECRET"], "rsa-private.pem")
store(os.environ["GATEHOUSE_RSA_PUBLIC_KEYS_SECRET"], "rsa-public.pem")
