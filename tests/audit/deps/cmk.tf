# Customer-managed keys in Terraform form (known ids, as a plan that
# updates existing resources shows them). kvopen01 admits trusted services,
# kvshut01 (bypass None) admits nothing.
resource "azurerm_key_vault" "open" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kvopen01"
  name                = "kvopen01"
  location            = "westeurope"
  resource_group_name = "rg-keys"
  tenant_id           = "22222222-2222-2222-2222-222222222222"
  sku_name            = "standard"
  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}

resource "azurerm_key_vault" "shut" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kvshut01"
  name                = "kvshut01"
  location            = "westeurope"
  resource_group_name = "rg-keys"
  tenant_id           = "22222222-2222-2222-2222-222222222222"
  sku_name            = "standard"
  network_acls {
    default_action = "Deny"
    bypass         = "None"
  }
}

resource "azurerm_storage_account" "ok" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/sttfcmkok01"
  name                     = "sttfcmkok01"
  resource_group_name      = "rg-data"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  customer_managed_key {
    key_vault_key_id = "https://kvopen01.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
  }
}

resource "azurerm_storage_account" "ko" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/sttfcmkko01"
  name                     = "sttfcmkko01"
  resource_group_name      = "rg-data"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_storage_account_customer_managed_key" "ko" {
  storage_account_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/sttfcmkko01"
  key_vault_id       = azurerm_key_vault.shut.id
  key_vault_key_id   = "https://kvshut01.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
}

resource "azurerm_mssql_server_transparent_data_encryption" "ok" {
  server_id        = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-sql/providers/Microsoft.Sql/servers/sqltfok01"
  key_vault_key_id = "https://kvopen01.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef"
}

resource "azurerm_disk_encryption_set" "ko" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-vm/providers/Microsoft.Compute/diskEncryptionSets/destfko01"
  name                = "destfko01"
  resource_group_name = "rg-vm"
  location            = "westeurope"
  key_vault_key_id    = "https://kvshut01.vault.azure.net/keys/des/0123456789abcdef0123456789abcdef"
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_eventhub_namespace_customer_managed_key" "ok" {
  eventhub_namespace_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.EventHub/namespaces/evhnstf01"
  key_vault_key_ids     = ["https://kvopen01.vault.azure.net/keys/ehk/0123456789abcdef0123456789abcdef"]
}

resource "azurerm_servicebus_namespace_customer_managed_key" "ko" {
  namespace_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.ServiceBus/namespaces/sbnstf01"
  key_vault_key_id = "https://kvshut01.vault.azure.net/keys/sbk/0123456789abcdef0123456789abcdef"
}

resource "azurerm_container_registry" "ok" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/acrtf01"
  name                = "acrtf01"
  resource_group_name = "rg-acr"
  location            = "westeurope"
  sku                 = "Premium"
  encryption {
    key_vault_key_id   = "https://kvopen01.vault.azure.net/keys/acr/0123456789abcdef0123456789abcdef"
    identity_client_id = "0799bf0c-a8e6-4a74-aad0-59e343b3c733"
  }
}

resource "azurerm_cosmosdb_account" "ko" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-db/providers/Microsoft.DocumentDB/databaseAccounts/cosmostf01"
  name                = "cosmostf01"
  resource_group_name = "rg-db"
  location            = "westeurope"
  offer_type          = "Standard"
  key_vault_key_id    = "https://kvopen01.vault.azure.net/keys/cosmos"
}

resource "azurerm_log_analytics_cluster_customer_managed_key" "ok" {
  log_analytics_cluster_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/clusters/lacltf01"
  key_vault_key_id         = "https://kvopen01.vault.azure.net/keys/la/0123456789abcdef0123456789abcdef"
}
