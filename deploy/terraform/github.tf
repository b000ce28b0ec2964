# GitHub Actions OIDC: the plan.yml and apply.yml workflows of each environment
# repository assume these roles without long-lived keys. Each job runs in a GitHub
# environment named "<env>-plan" or "<env>-apply", so the token's sub claim is
# "repo:<owner>/<name>:environment:<env>-plan|apply" and a plan job can never assume
# an apply role.
#
# The apply role also pins the workflow file and branch: its token's job_workflow_ref
# must be "<owner>/<name>/.github/workflows/apply.yml@refs/heads/tfpilot/<id>", so a
# workflow pushed under another name, or apply.yml run from another branch, cannot
# assume it even when its job names the <env>-apply environment. For a job that calls
# no reusable workflow, job_workflow_ref is the run's own workflow file and ref (the
# same as workflow_ref). IAM can condition on it: AWS STS evaluates GitHub's
# provider-specific claims (job_workflow_ref, workflow, ref, environment, repository_id,
# ...) as token.actions.githubusercontent.com:<claim> keys since early 2026
# (https://aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims/);
# GitHub's older AWS guide still says AWS supports no custom claims. This is chosen
# over a customised sub claim (PUT /repos/{owner}/{repo}/actions/oidc/customization/sub
# with job_workflow_ref in include_claim_keys, see "Customizing the token claims" in
# https://docs.github.com/en/actions/reference/security/oidc): that template changes
# the sub of every workflow in the repository, so the plan roles' trust (and any other
# role trusting the repository) would have to change with it, and it is a repository
# setting outside this Terraform's AWS-only state. A token without the claim fails
# StringLike, so the pin fails closed.

locals {
  github_oidc_url = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : (
    "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.github_oidc_url}"
  )

  # One entry per environment and kind of role.
  github_roles = merge([
    for env, cfg in var.environments : {
      for kind in ["plan", "apply"] : "${env}-${kind}" => merge(cfg, {
        environment = env
        kind        = kind
        state_key   = "envs/${env}/terraform.tfstate"
      })
    }
  ]...)

  apply_policy_attachments = merge([
    for env, cfg in var.environments : {
      for arn in cfg.apply_policy_arns : "${env}-apply ${arn}" => {
        role       = "${env}-apply"
        policy_arn = arn
      }
    }
  ]...)
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_url}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "github_assume" {
  for_each = local.github_roles

  statement {
    sid     = "GitHubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_url}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_url}:sub"
      values   = ["repo:${each.value.repository}:environment:${each.key}"]
    }

    dynamic "condition" {
      for_each = each.value.kind == "apply" ? [each.value.repository] : []

      content {
        test     = "StringLike"
        variable = "${local.github_oidc_url}:job_workflow_ref"
        values   = ["${condition.value}/.github/workflows/apply.yml@refs/heads/tfpilot/*"]
      }
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = local.github_roles

  name                 = "${var.name_prefix}-${each.key}"
  description          = "TfPilot ${each.value.kind} role for ${each.value.environment} (${each.value.repository})."
  assume_role_policy   = data.aws_iam_policy_document.github_assume[each.key].json
  max_session_duration = each.value.kind == "apply" ? 7200 : 3600
  permissions_boundary = each.value.permissions_boundary_arn
}

# Plan: read the state, write only the lock file next to it (use_lockfile).
# Apply: read and write the state and its lock file.
data "aws_iam_policy_document" "github_state" {
  for_each = local.github_roles

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${each.value.state_bucket_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${each.value.state_key}*"]
    }
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${each.value.state_bucket_name}/${each.value.state_key}*"]
  }

  statement {
    sid       = "WriteLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${each.value.state_bucket_name}/${each.value.state_key}.tflock"]
  }

  dynamic "statement" {
    for_each = each.value.kind == "apply" ? [each.value.state_key] : []

    content {
      sid       = "WriteState"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${each.value.state_bucket_name}/${statement.value}"]
    }
  }

  dynamic "statement" {
    for_each = each.value.state_kms_key_arn == null ? [] : [each.value.state_kms_key_arn]

    content {
      sid       = "UseStateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "github_state" {
  for_each = local.github_roles

  name   = "terraform-state"
  role   = aws_iam_role.github[each.key].id
  policy = data.aws_iam_policy_document.github_state[each.key].json
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  for_each = { for k, r in local.github_roles : k => r if r.kind == "plan" }

  role       = aws_iam_role.github[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy_attachment" "apply" {
  for_each = local.apply_policy_attachments

  role       = aws_iam_role.github[each.value.role].name
  policy_arn = each.value.policy_arn
}
