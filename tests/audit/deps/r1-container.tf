# R1: hashicorp/terraform-provider-azurerm#15683 (configuration as reported,
# the name interpolation resolved to "dev"): azurerm_storage_container
# behind network_rules, created from a runner outside ip_rules.
resource "azurerm_storage_account" "dxdssa" {
  name                     = "dxdsdevsa"
  resource_group_name      = "rg-dx"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  account_kind             = "StorageV2"
  allow_blob_public_access	= true
  is_hns_enabled           = "true"

  network_rules {
    default_action = "Deny"
    ip_rules                   = ["100.0.0.1"]
  }
}

resource "azurerm_storage_container" "dxdssa" {
  name                  = "raw"
  storage_account_name  = "dxdsdevsa"
  container_access_type = "private"
}

# The provider-side fix (azurerm 4.9.0, #27733): storage_account_id goes
# through Azure Resource Manager, which the firewall does not filter.
resource "azurerm_storage_container" "by_id" {
  name                  = "curated"
  storage_account_id    = azurerm_storage_account.dxdssa.id
  container_access_type = "private"
}
