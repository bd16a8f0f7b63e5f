#!/bin/sh
# azd postdeploy hook (azure.yaml): subscribes the deployed app's ingestBlobEvents function to the images container's
# blob events by deploying infra/app/eventSubscription.bicep. Runs after every `azd deploy` / `azd up`; the
# deployment is idempotent. azd passes its environment's values (main.bicep outputs) as environment variables.
# Needs the Azure CLI, signed in to the same tenant and subscription (`az login`).
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME SERVICE_API_BASE_URL EVENTGRID_SYSTEM_TOPIC_NAME \
  IMAGES_CONTAINER_NAME AZURE_HOST_STORAGE_ACCOUNT_NAME EVENTGRID_DEADLETTER_CONTAINER_NAME; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run 'azd provision' (or 'azd up') first." >&2
    exit 1
  fi
done
if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is needed to create the Event Grid subscription; see docs/deploy.md." >&2
  exit 1
fi

# The host creates the eventgrid_extension system key when it first starts with the Event Grid trigger loaded. A
# request starts an instance (the health check may well answer 503 while the app warms up: only the start matters).
echo "postdeploy: waiting for the Functions host's eventgrid_extension key..."
curl -s -o /dev/null --max-time 60 "${SERVICE_API_BASE_URL}/api/health" || true
attempt=1
while :; do
  # Only tested for presence; never printed.
  key=$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.eventgrid_extension" --output tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  if [ "$attempt" -ge 20 ]; then
    echo "postdeploy: no eventgrid_extension key after $attempt tries; is the app running? Run 'azd deploy' again." >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  curl -s -o /dev/null --max-time 30 "${SERVICE_API_BASE_URL}/api/health" || true
  sleep 15
done
unset key

echo "postdeploy: creating or updating the Event Grid subscription 'ingest-blob-events'..."
az deployment group create \
  --name ingest-blob-events \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --template-file infra/app/eventSubscription.bicep \
  --parameters \
    functionAppName="$AZURE_FUNCTION_APP_NAME" \
    systemTopicName="$EVENTGRID_SYSTEM_TOPIC_NAME" \
    imagesContainerName="$IMAGES_CONTAINER_NAME" \
    deadLetterStorageAccountName="$AZURE_HOST_STORAGE_ACCOUNT_NAME" \
    deadLetterContainerName="$EVENTGRID_DEADLETTER_CONTAINER_NAME" \
  --output none
echo "postdeploy: blob events of container '$IMAGES_CONTAINER_NAME' now reach ingestBlobEvents."
