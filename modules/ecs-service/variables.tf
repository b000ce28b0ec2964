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
  description = "Short base name of the service; the service, task family and log group are named after <project>-<environment>-<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", var.name)) && length(var.name) <= 40
    error_message = "name must be 2 to 40 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen (for example checkout-api)."
  }
}

variable "cluster_arn" {
  description = "ARN of the existing ECS cluster the service runs in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN such as arn:aws:ecs:eu-west-1:123456789012:cluster/main."
  }
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in, comma-separated; use at least two availability zones in production."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must be one or more subnet IDs separated by commas, such as subnet-0a1b2c3d4e5f67890,subnet-0fedcba9876543210."
  }
}

variable "security_group_ids" {
  description = "Security groups attached to the tasks, comma-separated."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && length(var.security_group_ids) <= 5 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids must be 1 to 5 security group IDs separated by commas, such as sg-0a1b2c3d4e5f67890."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP. Keep false and run in private subnets unless the subnets have no NAT."
  type        = bool
  default     = false
}

variable "container_image" {
  description = "Container image with an explicit tag or digest, for example 123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.container_image)) && length(var.container_image) <= 255
    error_message = "container_image must be an image reference with a tag or digest, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2 or nginx@sha256:<64 hex digits>."
  }
}

variable "container_port" {
  description = "Port the container listens on."
  type        = number
  default     = 8080

  validation {
    condition     = try(var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port, false)
    error_message = "container_port must be a whole number between 1 and 65535."
  }
}

variable "environment_variables" {
  description = "Plain environment variables for the container, as key=value pairs. Never put secrets here; they are visible in the task definition."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables keys must be letters, digits and underscores, not starting with a digit (for example LOG_LEVEL=info)."
  }
}

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU). Fargate allows 256, 512, 1024, 2048, 4096, 8192 or 16384, each with its own memory range."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB; must fit cpu: 256 takes 512, 1024 or 2048; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (steps of 1024); 8192 takes 16384-61440 (steps of 4096); 16384 takes 32768-122880 (steps of 8192)."
  type        = number
  default     = 512

  validation {
    condition     = try(var.memory == 512 || (var.memory >= 1024 && var.memory <= 30720 && floor(var.memory / 1024) == var.memory / 1024) || (var.memory >= 32768 && var.memory <= 61440 && floor(var.memory / 4096) == var.memory / 4096) || (var.memory >= 65536 && var.memory <= 122880 && floor(var.memory / 8192) == var.memory / 8192), false)
    error_message = "memory must be a Fargate memory size in MiB: 512, a multiple of 1024 from 1024 to 30720, a multiple of 4096 from 32768 to 61440, or a multiple of 8192 from 65536 to 122880 (for example 1024)."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the image: X86_64, or ARM64 for Graviton (cheaper; the image must be built for arm64)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "desired_count" {
  description = "Number of tasks to keep running; use at least 2 in production for availability."
  type        = number
  default     = 1

  validation {
    condition     = try(var.desired_count >= 0 && var.desired_count <= 100 && floor(var.desired_count) == var.desired_count, false)
    error_message = "desired_count must be a whole number between 0 and 100."
  }
}

variable "execution_role_arn" {
  description = "ARN of the task execution role ECS uses to pull the image and write logs (needs AmazonECSTaskExecutionRolePolicy)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/ecs-task-execution."
  }
}

variable "task_role_arn" {
  description = "ARN of the IAM role the application code runs as. Leave unset if the application calls no AWS APIs."
  type        = string
  default     = null

  validation {
    condition     = var.task_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.task_role_arn))
    error_message = "task_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/checkout-api, or left unset."
  }
}

variable "target_group_arn" {
  description = "ARN of an existing load balancer target group (target type ip) to register the tasks in. Leave unset for a service without a load balancer."
  type        = string
  default     = null

  validation {
    condition     = var.target_group_arn == null || can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn))
    error_message = "target_group_arn must be a target group ARN such as arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/0123456789abcdef, or left unset."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the load balancer health checks are ignored after a task starts. Used only with target_group_arn."
  type        = number
  default     = 60

  validation {
    condition     = try(var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds, false)
    error_message = "health_check_grace_period_seconds must be a whole number of seconds, 0 or more (for example 60)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the container logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch allows: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "enable_execute_command" {
  description = "Allow ECS Exec (interactive shell into running tasks). The task role then needs the ssmmessages permissions."
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
