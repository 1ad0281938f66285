# Storage features a perimeter does not support (seed 003, Limitations),
# Terraform form. R7: Azure/azure-functions-dotnet-worker#3164 (a Function
# App's AzureWebJobsStorage account associated Enforced: the app stops;
# back to Learning: it works).
resource "azurerm_storage_account" "sftp" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-nsp/providers/Microsoft.Storage/storageAccounts/sttfnsp01"
  name                     = "sttfnsp01"
  resource_group_name      = "rg-nsp"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  is_hns_enabled           = true
  sftp_enabled             = true
}

resource "azurerm_storage_account" "nfs" {
  id                       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-nsp/providers/Microsoft.Storage/storageAccounts/sttfnspl01"
  name                     = "sttfnspl01"
  resource_group_name      = "rg-nsp"
  location                 = "westeurope"
  account_tier             = "Premium"
  account_kind             = "BlockBlobStorage"
  account_replication_type = "LRS"
  is_hns_enabled           = true
  nfsv3_enabled            = true
}

resource "azurerm_network_security_perimeter" "data" {
  id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-nsp/providers/Microsoft.Network/networkSecurityPerimeters/nsp-tf"
  name                = "nsp-tf"
  resource_group_name = "rg-nsp"
  location            = "westeurope"
}

resource "azurerm_network_security_perimeter_profile" "default" {
  id                             = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-nsp/providers/Microsoft.Network/networkSecurityPerimeters/nsp-tf/profiles/default"
  name                           = "default"
  network_security_perimeter_id  = azurerm_network_security_perimeter.data.id
}

resource "azurerm_network_security_perimeter_association" "enforced" {
  name                                   = "sttfnsp01"
  access_mode                            = "Enforced"
  network_security_perimeter_profile_id  = azurerm_network_security_perimeter_profile.default.id
  resource_id                            = azurerm_storage_account.sftp.id
}

resource "azurerm_network_security_perimeter_association" "learning" {
  name                                   = "sttfnspl01"
  access_mode                            = "Learning"
  network_security_perimeter_profile_id  = azurerm_network_security_perimeter_profile.default.id
  resource_id                            = azurerm_storage_account.nfs.id
}

resource "azurerm_storage_share" "content" {
  name               = "content"
  storage_account_id = azurerm_storage_account.sftp.id
  quota              = 50
}

resource "azurerm_storage_object_replication" "or" {
  source_storage_account_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-other/providers/Microsoft.Storage/storageAccounts/stelsewhere01"
  destination_storage_account_id = azurerm_storage_account.sftp.id
  rules {
    source_container_name      = "scont"
    destination_container_name = "dcont"
  }
}

resource "azurerm_storage_management_policy" "learning" {
  storage_account_id = azurerm_storage_account.nfs.id
  rule {
    name    = "olcmtest1"
    enabled = true
  }
}

resource "azurerm_storage_blob_inventory_policy" "inv" {
  storage_account_id = azurerm_storage_account.sftp.id
  rules {
    name                   = "inventoryPolicyRule1"
    storage_container_name = "container1"
  }
}

resource "azurerm_data_protection_backup_instance_blob_storage" "bk" {
  name               = "bk-sttfnsp01"
  vault_id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-bk/providers/Microsoft.DataProtection/backupVaults/bv01"
  location           = "westeurope"
  storage_account_id = azurerm_storage_account.sftp.id
  backup_policy_id   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-bk/providers/Microsoft.DataProtection/backupVaults/bv01/backupPolicies/p"
}

resource "azurerm_virtual_machine" "legacy" {
  name                  = "vm-legacy"
  location              = "westeurope"
  resource_group_name   = "rg-vm"
  vm_size               = "Standard_D2s_v3"
  storage_os_disk {
    name          = "myosdisk1"
    vhd_uri       = "https://sttfnsp01.blob.core.windows.net/vhds/myosdisk1.vhd"
    create_option = "FromImage"
  }
}

# The account of R7, Enforced, and the app using it with its account key.
resource "azurerm_linux_function_app" "r7" {
  id                         = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/sites/functf-nsp"
  name                       = "functf-nsp"
  resource_group_name        = "rg-app"
  location                   = "westeurope"
  service_plan_id            = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app/providers/Microsoft.Web/serverFarms/plan"
  storage_account_name       = "sttfnsp01"
  storage_account_access_key = "redacted"
  site_config {}
}
