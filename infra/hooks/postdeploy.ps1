# azd postdeploy hook (azure.yaml), Windows: the same as postdeploy.sh. Subscribes the deployed app's ingestBlobEvents
# function to the images container's blob events by deploying infra/app/eventSubscription.bicep. Runs after every
# `azd deploy` / `azd up`; the deployment is idempotent. Needs the Azure CLI, signed in (`az login`).
$ErrorActionPreference = 'Stop'

$names = 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'SERVICE_API_BASE_URL', 'EVENTGRID_SYSTEM_TOPIC_NAME',
  'IMAGES_CONTAINER_NAME', 'AZURE_HOST_STORAGE_ACCOUNT_NAME', 'EVENTGRID_DEADLETTER_CONTAINER_NAME'
foreach ($name in $names) {
  if ([string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name))) {
    Write-Error "postdeploy: $name is not set; run 'azd provision' (or 'azd up') first."
  }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  Write-Error 'postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; see docs/deploy.md.'
}

function Request-AppStart {
  try { Invoke-WebRequest -Uri "$env:SERVICE_API_BASE_URL/api/health" -TimeoutSec 60 -UseBasicParsing | Out-Null } catch { }
}

# The host creates the eventgrid_extension system key when it first starts with the Event Grid trigger loaded.
Write-Host "postdeploy: waiting for the Functions host's eventgrid_extension key..."
Request-AppStart
$attempt = 1
while ($true) {
  # Only tested for presence; never printed.
  $key = az functionapp keys list --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
    --query 'systemKeys.eventgrid_extension' --output tsv 2>$null
  if ($LASTEXITCODE -eq 0 -and -not [string]::IsNullOrEmpty($key)) { break }
  if ($attempt -ge 20) {
    Write-Error "postdeploy: no eventgrid_extension key after $attempt tries; is the app running? Run 'azd deploy' again."
  }
  $attempt++
  Request-AppStart
  Start-Sleep -Seconds 15
}
Remove-Variable key

Write-Host "postdeploy: creating or updating the Event Grid subscription 'ingest-blob-events'..."
az deployment group create `
  --name ingest-blob-events `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --template-file infra/app/eventSubscription.bicep `
  --parameters `
    functionAppName=$env:AZURE_FUNCTION_APP_NAME `
    systemTopicName=$env:EVENTGRID_SYSTEM_TOPIC_NAME `
    imagesContainerName=$env:IMAGES_CONTAINER_NAME `
    deadLetterStorageAccountName=$env:AZURE_HOST_STORAGE_ACCOUNT_NAME `
    deadLetterContainerName=$env:EVENTGRID_DEADLETTER_CONTAINER_NAME `
  --output none
if ($LASTEXITCODE -ne 0) { Write-Error 'postdeploy: az deployment group create failed.' }
Write-Host "postdeploy: blob events of container '$env:IMAGES_CONTAINER_NAME' now reach ingestBlobEvents."
