variable "project" {
  description = "Project that owns the resources; filled in by TfPilot."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.project)) && length(var.project) <= 20
    error_message = "project must be 2 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example payments)."
  }
}

variable "environment" {
  description = "Environment the resources belong to (for example dev or prod); filled in by TfPilot."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.environment)) && length(var.environment) <= 12
    error_message = "environment must be 2 to 12 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example dev)."
  }
}

variable "request_id" {
  description = "ID of the TfPilot request that created the resources; filled in by TfPilot and written to the TfPilotRequestId tag."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.request_id))
    error_message = "request_id must be a lowercase UUID such as 0190f5e4-8c2a-7b3d-9e4f-123456789abc."
  }
}

variable "name" {
  description = "Short base name of the bucket; the bucket is named <project>-<environment>-<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", var.name)) && length(var.name) <= 40
    error_message = "name must be 2 to 40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen (for example invoices)."
  }
}

variable "versioning_enabled" {
  description = "Keep every version of every object so that overwrites and deletes can be undone."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key for SSE-KMS encryption. Leave unset to use SSE-S3 (AES256)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, or left unset for SSE-S3."
  }
}

variable "expiration_days" {
  description = "Delete objects this many days after they were created. Leave unset to keep objects until they are deleted."
  type        = number
  default     = null

  validation {
    condition     = var.expiration_days == null || try(var.expiration_days >= 1 && var.expiration_days <= 36500 && floor(var.expiration_days) == var.expiration_days, false)
    error_message = "expiration_days must be a whole number of days between 1 and 36500, or left unset to keep objects."
  }
}

variable "force_destroy" {
  description = "Allow Terraform to delete the bucket even when it still holds objects. Keep false in production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource, as key=value pairs. TfPilot's own tags (ManagedBy, TfPilotRequestId, Project, Environment) always win."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be 1 to 128 characters and not start with aws:, and values at most 256 characters (for example team=payments,cost-center=42)."
  }
}
