provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Application = "tfpilot"
      ManagedBy   = "terraform"
    })
  }
}
