namespace LiveMicro.Media.Rtmp.Commands;

/// <summary>The "level" property of an info object (RTMP 1.0 section 7.2).</summary>
public static class RtmpStatusLevel
{
    public const string Status = "status";
    public const string Warning = "warning";
    public const string Error = "error";
}

/// <summary>The "code" property of _result, _error and onStatus info objects (NetConnection and NetStream status codes).</summary>
public static class RtmpStatusCode
{
    public const string ConnectSuccess = "NetConnection.Connect.Success";
    public const string ConnectRejected = "NetConnection.Connect.Rejected";
    public const string ConnectFailed = "NetConnection.Connect.Failed";
    public const string ConnectClosed = "NetConnection.Connect.Closed";
    public const string ConnectInvalidApp = "NetConnection.Connect.InvalidApp";
    public const string CallFailed = "NetConnection.Call.Failed";

    public const string PublishStart = "NetStream.Publish.Start";
    public const string PublishBadName = "NetStream.Publish.BadName";
    public const string PublishDenied = "NetStream.Publish.Denied";
    public const string PublishIdle = "NetStream.Publish.Idle";
    public const string UnpublishSuccess = "NetStream.Unpublish.Success";

    public const string PlayStart = "NetStream.Play.Start";
    public const string PlayReset = "NetStream.Play.Reset";
    public const string PlayStop = "NetStream.Play.Stop";
    public const string PlayFailed = "NetStream.Play.Failed";
    public const string PlayStreamNotFound = "NetStream.Play.StreamNotFound";
    public const string PlayPublishNotify = "NetStream.Play.PublishNotify";
    public const string PlayUnpublishNotify = "NetStream.Play.UnpublishNotify";

    public const string PauseNotify = "NetStream.Pause.Notify";
    public const string UnpauseNotify = "NetStream.Unpause.Notify";
    public const string SeekNotify = "NetStream.Seek.Notify";
    public const string DataStart = "NetStream.Data.Start";
}

/// <summary>Command names (RTMP 1.0 section 7.2 plus the FMLE/FMS additions encoders send).</summary>
public static class RtmpCommandName
{
    public const string Connect = "connect";
    public const string Call = "call";
    public const string Close = "close";
    public const string CreateStream = "createStream";
    public const string ReleaseStream = "releaseStream";
    public const string FCPublish = "FCPublish";
    public const string FCUnpublish = "FCUnpublish";
    public const string Publish = "publish";
    public const string Play = "play";
    public const string Play2 = "play2";
    public const string DeleteStream = "deleteStream";
    public const string CloseStream = "closeStream";
    public const string GetStreamLength = "getStreamLength";
    public const string Result = "_result";
    public const string Error = "_error";
    public const string OnStatus = "onStatus";
}
