"""Verifies the sender identity in moto, as an operator does in SES."""
import os

import boto3

sender = os.environ["GATEHOUSE_EMAIL_FROM"]
boto3.client("ses", endpoint_url=os.environ["AWS_ENDPOINT_URL_SES"]).verify_email_identity(EmailAddress=sender)
