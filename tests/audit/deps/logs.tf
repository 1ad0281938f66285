# Diagnostic settings, flow logs, SQL auditing and Event Hubs Capture into
# firewalled accounts, in Terraform form. R8:
# hashicorp/terraform-provider-azurerm#14400 (azurerm_monitor_diagnostic_setting
# of a key vault into a storage account with network rules) and
# MicrosoftDocs/azure-docs#64844 ("you must check Allow trusted Microsoft
# Services"); R9: MicrosoftDocs/azure-docs#80312 (SQL auditing with a key
# into a VNet-restricted account).
resource "azurerm_storage_account" "ok" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs/providers/Microsoft.Storage/storageAccounts/sttflogok01"
  name                     = "sttflogok01"
  resource_group_name      = "rg-logs"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }
}

resource "azurerm_storage_account" "ko" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs/providers/Microsoft.Storage/storageAccounts/sttflogko01"
  name                     = "sttflogko01"
  resource_group_name      = "rg-logs"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  network_rules {
    default_action             = "Deny"
    bypass                     = ["None"]
    virtual_network_subnet_ids = ["/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"]
  }
}

resource "azurerm_monitor_diagnostic_setting" "ok" {
  name               = "kv-to-ok"
  target_resource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kvtfdiag01"
  storage_account_id = azurerm_storage_account.ok.id
  enabled_log {
    category = "AuditEvent"
  }
}

resource "azurerm_monitor_diagnostic_setting" "example" {
  name               = "example"
  target_resource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kvtfdiag02"
  storage_account_id = azurerm_storage_account.ko.id
  log {
    category = "AuditEvent"
    enabled  = false
    retention_policy {
      enabled = false
    }
  }
  metric {
    category = "AllMetrics"
  }
}

resource "azurerm_network_watcher_flow_log" "ok" {
  name                 = "fl-tf-ok"
  network_watcher_name = "NetworkWatcher_westeurope"
  resource_group_name  = "NetworkWatcherRG"
  target_resource_id   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-app"
  storage_account_id   = azurerm_storage_account.ok.id
  enabled              = true
}

resource "azurerm_network_watcher_flow_log" "ko" {
  name                 = "fl-tf-ko"
  network_watcher_name = "NetworkWatcher_westeurope"
  resource_group_name  = "NetworkWatcherRG"
  target_resource_id   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-db"
  storage_account_id   = azurerm_storage_account.ko.id
  enabled              = true
}

resource "azurerm_mssql_server_extended_auditing_policy" "ok" {
  server_id             = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-sql/providers/Microsoft.Sql/servers/sqltfaud01"
  blob_storage_endpoint = "https://sttflogok01.blob.core.windows.net/"
}

resource "azurerm_mssql_server_extended_auditing_policy" "ko" {
  server_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-sql/providers/Microsoft.Sql/servers/sqltfaud02"
  blob_storage_endpoint      = "https://sttflogok01.blob.core.windows.net/"
  storage_account_access_key = "redacted"
}

resource "azurerm_eventhub" "ok" {
  id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.EventHub/namespaces/evhnstf01/eventhubs/orders"
  name         = "orders"
  namespace_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.EventHub/namespaces/evhnstf01"
  capture_description {
    enabled  = true
    encoding = "Avro"
    destination {
      name                = "EventHubArchive.AzureBlockBlob"
      archive_name_format = "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}"
      blob_container_name = "capture"
      storage_account_id  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs/providers/Microsoft.Storage/storageAccounts/sttflogok01"
    }
  }
}

resource "azurerm_eventhub" "ko" {
  id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.EventHub/namespaces/evhnstf01/eventhubs/payments"
  name         = "payments"
  namespace_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-msg/providers/Microsoft.EventHub/namespaces/evhnstf01"
  capture_description {
    enabled  = true
    encoding = "Avro"
    destination {
      name                = "EventHubArchive.AzureBlockBlob"
      archive_name_format = "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}"
      blob_container_name = "capture"
      storage_account_id  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs/providers/Microsoft.Storage/storageAccounts/sttflogko01"
    }
  }
}
