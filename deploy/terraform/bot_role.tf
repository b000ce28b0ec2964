data "aws_iam_policy_document" "bot_assume" {
  dynamic "statement" {
    for_each = length(var.bot_trusted_services) > 0 ? [var.bot_trusted_services] : []

    content {
      sid     = "TrustedServices"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "Service"
        identifiers = statement.value
      }

      # Confused-deputy protection: only this account's tasks may use the role.
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.bot_trusted_role_arns) > 0 ? [var.bot_trusted_role_arns] : []

    content {
      sid     = "TrustedRoles"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_iam_role" "bot" {
  name               = "${var.name_prefix}-bot"
  description        = "Runs the TfPilot bot: reads and writes its request records and audit log."
  assume_role_policy = data.aws_iam_policy_document.bot_assume.json

  lifecycle {
    precondition {
      condition     = length(var.bot_trusted_services) + length(var.bot_trusted_role_arns) > 0
      error_message = "Set bot_trusted_services or bot_trusted_role_arns: something must be able to assume the bot's role."
    }
  }
}

# Exactly what infra/s3 calls: GetObject, PutObject (with If-Match / If-None-Match)
# and ListObjectsV2 under the store prefix, and the KMS operations SSE-KMS needs.
data "aws_iam_policy_document" "bot" {
  statement {
    sid       = "ListStore"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.store.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.store_prefix}*"]
    }
  }

  statement {
    sid       = "ReadWriteRecords"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.store.arn}/${var.store_prefix}*"]
  }

  statement {
    sid       = "UseStoreKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.store.arn]
  }
}

resource "aws_iam_role_policy" "bot" {
  name   = "${var.name_prefix}-bot-store"
  role   = aws_iam_role.bot.id
  policy = data.aws_iam_policy_document.bot.json
}
