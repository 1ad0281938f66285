# R3: hashicorp/terraform-provider-azurerm#20742 and #4553: a Key Vault
# secret written from a runner the vault firewall does not admit
# (ForbiddenByFirewall on the provider's existence check, GetSecret).
resource "azurerm_key_vault" "key_vlt" {
  name                        = "gavarvdev008"
  location                    = "East US"
  resource_group_name         = "MYRESOURCEGROUP"
  enabled_for_disk_encryption = true
  tenant_id                   = "22222222-2222-2222-2222-222222222222"
  sku_name                    = "standard"

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = ["198.51.100.0/24"]
  }
}

resource "azurerm_key_vault_secret" "user" {
  name         = "user"
  value        = "redacted"
  key_vault_id = azurerm_key_vault.key_vlt.id
}
