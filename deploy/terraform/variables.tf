variable "region" {
  description = "AWS region of the bot's bucket and key."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (bucket, key alias, roles)."
  type        = string
  default     = "tfpilot"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3 to 24 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the bucket for request records and the audit log. Leave unset for <name_prefix>-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3 to 63 characters: lowercase letters, digits and hyphens, or left unset."
  }
}

variable "store_prefix" {
  description = "Key prefix of the store inside the bucket (the prefix of TFPILOT_STORE=s3://bucket/prefix); empty or ending in a slash."
  type        = string
  default     = ""

  validation {
    condition     = var.store_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.store_prefix))
    error_message = "store_prefix must be empty or a key prefix ending in a slash, such as tfpilot/."
  }
}

variable "request_retention_days" {
  description = "Days request records under <store_prefix>requests/ are kept (and non-current versions of them)."
  type        = number
  default     = 180

  validation {
    condition     = var.request_retention_days >= 1 && floor(var.request_retention_days) == var.request_retention_days
    error_message = "request_retention_days must be a whole number of days, 1 or more."
  }
}

variable "audit_retention_days" {
  description = "Days audit records under <store_prefix>audit/ are kept (and non-current versions of them). Check your compliance rules before lowering it."
  type        = number
  default     = 731

  validation {
    condition     = var.audit_retention_days >= 1 && floor(var.audit_retention_days) == var.audit_retention_days
    error_message = "audit_retention_days must be a whole number of days, 1 or more."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the bucket's KMS key is deleted after terraform destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "bot_trusted_services" {
  description = "AWS service principals that may assume the bot's role, for example ecs-tasks.amazonaws.com when the bot runs on ECS."
  type        = list(string)
  default     = ["ecs-tasks.amazonaws.com"]

  validation {
    condition     = alltrue([for s in var.bot_trusted_services : endswith(s, ".amazonaws.com")])
    error_message = "bot_trusted_services must be service principals such as ecs-tasks.amazonaws.com."
  }
}

variable "bot_trusted_role_arns" {
  description = "IAM roles that may assume the bot's role, for example a node or pod role when the bot runs elsewhere."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.bot_trusted_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "bot_trusted_role_arns must be IAM role ARNs such as arn:aws:iam::123456789012:role/bot-runner."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the GitHub Actions OIDC provider. Set false when the account already has one (there can be only one per URL)."
  type        = bool
  default     = true
}

variable "environments" {
  description = <<-EOT
    Environments whose workflows get AWS roles, keyed by environment name (the folder under envs/).
    repository: the environment repository, owner/name. state_bucket_name: the bucket of its
    Terraform state. state_kms_key_arn: the state bucket's KMS key, if it uses SSE-KMS.
    apply_policy_arns: what the apply role may change. permissions_boundary_arn: optional
    boundary on both roles.
  EOT
  type = map(object({
    repository               = string
    state_bucket_name        = string
    state_kms_key_arn        = optional(string)
    apply_policy_arns        = optional(list(string), ["arn:aws:iam::aws:policy/AdministratorAccess"])
    permissions_boundary_arn = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, e in var.environments : can(regex("^[a-z0-9-]+$", k)) && can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", e.repository))])
    error_message = "environments keys must match ^[a-z0-9-]+$ and each repository must be owner/name."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
