locals {
  name = "${var.project}-${var.environment}-${var.name}"

  tags = merge(var.tags, {
    ManagedBy        = "tfpilot"
    TfPilotRequestId = var.request_id
    Project          = var.project
    Environment      = var.environment
  })

  # EC2 does not send aws:SourceAccount when it assumes an instance role.
  source_account_condition = var.trusted_service != "ec2"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "TrustedService"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["${var.trusted_service}.${data.aws_partition.current.dns_suffix}"]
    }

    # Confused-deputy protection: only this account's resources may pass the role to the service.
    dynamic "condition" {
      for_each = local.source_account_condition ? [data.aws_caller_identity.current.account_id] : []

      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = local.name
  description          = "Application role for ${local.name} (TfPilot request ${var.request_id})."
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

resource "aws_iam_role_policy" "inline" {
  count = var.inline_policy_json == null ? 0 : 1

  name   = "${local.name}-inline"
  role   = aws_iam_role.this.id
  policy = var.inline_policy_json
}

resource "aws_iam_instance_profile" "this" {
  count = var.trusted_service == "ec2" ? 1 : 0

  name = local.name
  role = aws_iam_role.this.name
  tags = local.tags
}
