# The deployment pre-flight against the gate (tests/e2e/run.sh): containers
# a Terraform plan creates through the data plane (storage_account_name,
# the form of hashicorp/terraform-provider-azurerm#15683) in the gate's
# accounts (estate/gate.json). `moat audit --runner` says which will get a
# 403; preflight.test.js creates each through nginx and Azurite.
resource "azurerm_storage_container" "open" {
  name                 = "tf-open"
  storage_account_name = "stopen"
}

resource "azurerm_storage_container" "none" {
  name                 = "tf-none"
  storage_account_name = "stnone"
}

resource "azurerm_storage_container" "priv" {
  name                 = "tf-priv"
  storage_account_name = "stpriv"
}

resource "azurerm_storage_container" "perim" {
  name                 = "tf-perim"
  storage_account_name = "stperim"
}

# Through Azure Resource Manager: not a data-plane request, no finding.
resource "azurerm_storage_container" "arm" {
  name               = "tf-arm"
  storage_account_id = "/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/rg-gate/providers/Microsoft.Storage/storageAccounts/stopen"
}
