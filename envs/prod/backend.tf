# Partial configuration: the state bucket and its region are given at init time,
#   terraform init -backend-config="bucket=<state bucket>" -backend-config="region=<region>"
# as the plan and apply workflows do. use_lockfile keeps an S3 lock object next to
# the state, so two runs can never write the state at the same time; it needs
# Terraform 1.10 or later to initialise the backend (the workflows use 1.12.2).
terraform {
  backend "s3" {
    key          = "envs/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
