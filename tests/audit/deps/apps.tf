# Function Apps and their storage / Key Vault references, Terraform form.
# R6: Azure/azure-functions-host#5572 and Azure/Azure-Functions#2486
# (networkAcls defaultAction Deny, bypass AzureServices: the Functions host
# is not a trusted service, its outbound addresses are in no rule).
resource "azurerm_storage_account" "func" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/sttffunc01"
  name                     = "sttffunc01"
  resource_group_name      = "rg-app"
  location                 = "northeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
    ip_rules       = ["20.61.0.0/24"]
  }
}

resource "azurerm_key_vault" "app" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kvtfapp01"
  name                = "kvtfapp01"
  location            = "westeurope"
  resource_group_name = "rg-app"
  tenant_id           = "22222222-2222-2222-2222-222222222222"
  sku_name            = "standard"
  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = ["20.61.0.7/32"]
  }
}

resource "azurerm_linux_function_app" "consumption" {
  id                         = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/sites/functf-public"
  name                       = "functf-public"
  resource_group_name        = "rg-app"
  location                   = "westeurope"
  service_plan_id            = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/serverFarms/plan"
  storage_account_name       = azurerm_storage_account.func.name
  storage_account_access_key = "redacted"
  outbound_ip_addresses      = "20.62.0.1,20.62.0.2"
  app_settings = {
    "DbPassword" = "@Microsoft.KeyVault(SecretUri=https://kvtfapp01.vault.azure.net/secrets/db-password/)"
  }
  site_config {}
}

resource "azurerm_linux_function_app" "listed" {
  id                         = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/sites/functf-listed"
  name                       = "functf-listed"
  resource_group_name        = "rg-app"
  location                   = "westeurope"
  service_plan_id            = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/serverFarms/plan"
  storage_account_name       = "sttffunc01"
  storage_account_access_key = "redacted"
  outbound_ip_addresses      = "20.61.0.7"
  app_settings = {
    "ApiKey" = "@Microsoft.KeyVault(VaultName=kvtfapp01;SecretName=api-key)"
  }
  site_config {}
}
