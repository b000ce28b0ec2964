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
  description = "Short base name of the queue, at most 37 characters; the queue is named <project>-<environment>-<name> (plus .fifo for a FIFO queue)."
  type        = string

  # 37 keeps the longest name, a FIFO dead-letter queue
  # <project>-<environment>-<name>-dlq.fifo, within SQS's 80 characters
  # at the longest project (20) and environment (12): 20+1+12+1+37+4+5 = 80.
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", var.name)) && length(var.name) <= 37
    error_message = "name must be 2 to 37 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen (for example orders), so that the dead-letter queue name <project>-<environment>-<name>-dlq.fifo fits SQS's 80 characters. Do not add .fifo; set fifo_queue instead."
  }
}

variable "fifo_queue" {
  description = "Create a FIFO queue (exactly-once processing, strict order); its name gets the .fifo suffix AWS requires."
  type        = bool
  default     = false
}

variable "content_based_deduplication" {
  description = "For a FIFO queue, deduplicate messages by a SHA-256 hash of their body instead of an explicit deduplication ID. Ignored for standard queues."
  type        = bool
  default     = false
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers; set it above your handler's longest run time."
  type        = number
  default     = 30

  validation {
    condition     = try(var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200 && floor(var.visibility_timeout_seconds) == var.visibility_timeout_seconds, false)
    error_message = "visibility_timeout_seconds must be a whole number between 0 and 43200 (seconds)."
  }
}

variable "message_retention_seconds" {
  description = "How long SQS keeps a message that nobody deletes (default 4 days)."
  type        = number
  default     = 345600

  validation {
    condition     = try(var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds, false)
    error_message = "message_retention_seconds must be a whole number between 60 (1 minute) and 1209600 (14 days)."
  }
}

variable "delay_seconds" {
  description = "Delay before a newly sent message becomes visible to consumers."
  type        = number
  default     = 0

  validation {
    condition     = try(var.delay_seconds >= 0 && var.delay_seconds <= 900 && floor(var.delay_seconds) == var.delay_seconds, false)
    error_message = "delay_seconds must be a whole number between 0 and 900 (seconds)."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait for ReceiveMessage; 20 keeps empty receives (and cost) low."
  type        = number
  default     = 20

  validation {
    condition     = try(var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20 && floor(var.receive_wait_time_seconds) == var.receive_wait_time_seconds, false)
    error_message = "receive_wait_time_seconds must be a whole number between 0 and 20 (seconds)."
  }
}

variable "dead_letter_queue_enabled" {
  description = "Create a dead-letter queue that receives messages which failed max_receive_count times."
  type        = bool
  default     = true
}

variable "max_receive_count" {
  description = "How many times a message may be received before it moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = try(var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count, false)
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key (or alias) for SSE-KMS. Leave unset to use SQS-managed encryption (SSE-SQS)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[a-zA-Z0-9/_-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key or alias ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, or left unset for SQS-managed encryption."
  }
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
