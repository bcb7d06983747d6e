# One image per service: docker build --build-arg SERVICE=auth --build-arg PROJECT=Auth .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG SERVICE
ARG PROJECT
WORKDIR /src
COPY . .
RUN dotnet publish "services/${SERVICE}/LiveMicro.${PROJECT}.csproj" -c Release -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG PROJECT
# the live service transcodes WebRTC publishers' Opus to AAC with ffmpeg (services/live/WebRtc/OpusToAacTranscoder.cs)
RUN if [ "$PROJECT" = "Live" ]; then apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*; fi
ENV SERVICE_ASSEMBLY=LiveMicro.${PROJECT}.dll
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["sh", "-c", "exec dotnet \"$SERVICE_ASSEMBLY\""]
